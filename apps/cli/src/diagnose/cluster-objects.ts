import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Flags } from '@oclif/core';
import { isNotFound, loadKubeConfig } from '@mesh/kube';
import { ISTIO_KINDS } from '@mesh/policy';

import { describeClusterError } from '../install/cluster-connection.js';

/**
 * What the diagnose commands and `analyze --use-kube` read of a cluster (`--kubeconfig`/`--context`):
 * the Kubernetes objects the mesh is built from and every Istio resource of the kinds whose CRD is
 * installed, each call retried while the API server asks to come back (loadKubeConfig's clients: a
 * just established CRD answers 429 while its watch cache fills). Objects are plain JSON as the API server
 * stores them (timestamps as RFC 3339 text, which is how istiod orders configs by creation).
 */

/** How a command names the cluster it reads, as istioctl does (`-c`/`--kubeconfig`, `--context`). */
export const clusterFlags = {
  kubeconfig: Flags.string({ char: 'c', description: 'kubeconfig file of the cluster to read' }),
  context: Flags.string({ description: 'kubeconfig context of the cluster to read' }),
};

export interface ClusterTarget {
  kubeconfig?: string;
  context?: string;
}

/** The cluster could not be read: the message says what was asked and what the cluster (or its absence) said. */
export class ClusterReadError extends Error {}

/** An object as the API server stores it, with its `apiVersion` and `kind` (lists leave them out). */
export type ClusterObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** The Kubernetes kinds read across all namespaces. */
export type ClusterKind = 'Namespace' | 'Service' | 'Pod' | 'EndpointSlice';

/** client-node's typed answer back to the API server's JSON (its Dates become RFC 3339 text). */
function plain(item: object, apiVersion: string, kind: string): ClusterObject {
  return { ...(JSON.parse(JSON.stringify(item)) as Record<string, unknown>), apiVersion, kind };
}

export class ClusterReader {
  private constructor(
    private readonly core: CoreV1Api,
    private readonly discovery: DiscoveryV1Api,
    private readonly custom: CustomObjectsApi,
    private readonly server: string,
  ) {}

  static connect(target: ClusterTarget): ClusterReader {
    let config: KubeConfig;
    try {
      config = loadKubeConfig(target);
    } catch (err) {
      throw new ClusterReadError(`cannot load the kubeconfig: ${(err as Error).message}`);
    }
    return new ClusterReader(
      config.makeApiClient(CoreV1Api),
      config.makeApiClient(DiscoveryV1Api),
      config.makeApiClient(CustomObjectsApi),
      config.getCurrentCluster()?.server ?? '',
    );
  }

  async list(kind: ClusterKind): Promise<ClusterObject[]> {
    const calls = {
      Namespace: ['v1', () => this.core.listNamespace()],
      Service: ['v1', () => this.core.listServiceForAllNamespaces()],
      Pod: ['v1', () => this.core.listPodForAllNamespaces()],
      EndpointSlice: ['discovery.k8s.io/v1', () => this.discovery.listEndpointSliceForAllNamespaces()],
    } as const;
    const [apiVersion, call] = calls[kind];
    const answer = await this.read<{ items: object[] }>(`list ${kind}s`, call);
    return answer.items.map((item) => plain(item, apiVersion, kind));
  }

  /** Every Istio resource, at the first version its kind is served at; kinds without a CRD have none. */
  async istioObjects(): Promise<ClusterObject[]> {
    const objects: ClusterObject[] = [];
    for (const kind of ISTIO_KINDS) {
      const version = kind.versions[0] ?? 'v1';
      let answer: { items?: object[] };
      try {
        answer = (await this.custom.listClusterCustomObject({
          group: kind.group,
          version,
          plural: kind.plural,
        })) as { items?: object[] };
      } catch (err) {
        if (isNotFound(err)) continue;
        throw this.failure(`list ${kind.plural}`, err);
      }
      for (const item of answer.items ?? []) objects.push(plain(item, `${kind.group}/${version}`, kind.kind));
    }
    return objects;
  }

  /** One ConfigMap, or undefined when it does not exist. */
  async configMap(namespace: string, name: string): Promise<ClusterObject | undefined> {
    try {
      const map = await this.core.readNamespacedConfigMap({ name, namespace });
      return plain(map, 'v1', 'ConfigMap');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(`read ConfigMap ${namespace}/${name}`, err);
    }
  }

  private async read<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.failure(what, err);
    }
  }

  private failure(what: string, err: unknown): ClusterReadError {
    return new ClusterReadError(describeClusterError(err, this.server, what).message);
  }
}
