import { CoreV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, loadKubeConfig, retryingApiCall } from '@mesh/kube';
import { ISTIO_KINDS, readAnalysisFile, type AnalysisFile } from '@mesh/policy';
import { stringify } from 'yaml';

import { describeClusterError } from '../install/cluster-connection.js';

/**
 * `meshctl analyze --use-kube` (istioctl's default): the cluster's resources as analysis input — its
 * Namespaces, Services and Pods (with their status: IST0103 looks for running pods) and every Istio
 * resource of the kinds whose CRD is installed — read with `--kubeconfig`/`--context`, as one
 * document stream named `<cluster>` (messages then give its line, not a file's).
 */

export class ClusterReadError extends Error {}

export const CLUSTER_SOURCE = '<cluster>';

/** What the analyzers read of an object: no managedFields or other server bookkeeping. */
function document(apiVersion: string, kind: string, item: KubernetesObject & Record<string, unknown>) {
  const { name, namespace, labels, annotations } = item.metadata ?? {};
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
    ...(item['spec'] === undefined ? {} : { spec: item['spec'] }),
    ...(kind === 'Pod' && item['status'] !== undefined ? { status: item['status'] } : {}),
  };
}

let version = 0;

export async function readClusterForAnalysis(cluster: {
  kubeconfig?: string;
  context?: string;
}): Promise<AnalysisFile> {
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let server = '';
  try {
    const config = loadKubeConfig(cluster);
    server = config.getCurrentCluster()?.server ?? '';
    core = config.makeApiClient(CoreV1Api);
    custom = config.makeApiClient(CustomObjectsApi);
  } catch (err) {
    throw new ClusterReadError(`cannot load the kubeconfig: ${(err as Error).message}`);
  }
  const failed = (what: string, err: unknown) =>
    new ClusterReadError(describeClusterError(err, server, `list ${what}`).message);
  const docs: object[] = [];
  const core$ = [
    ['Namespace', () => core.listNamespace()],
    ['Service', () => core.listServiceForAllNamespaces()],
    ['Pod', () => core.listPodForAllNamespaces()],
  ] as const;
  for (const [kind, list] of core$) {
    try {
      for (const item of (await retryingApiCall<{ items: object[] }>(list)).items)
        docs.push(document('v1', kind, item as KubernetesObject & Record<string, unknown>));
    } catch (err) {
      throw failed(`${kind}s`, err);
    }
  }
  for (const kind of ISTIO_KINDS) {
    const apiVersion = `${kind.group}/${kind.versions[0] ?? 'v1'}`;
    try {
      const answer = (await retryingApiCall(() =>
        custom.listClusterCustomObject({
          group: kind.group,
          version: kind.versions[0] ?? 'v1',
          plural: kind.plural,
        }),
      )) as { items?: (KubernetesObject & Record<string, unknown>)[] };
      for (const item of answer.items ?? []) docs.push(document(apiVersion, kind.kind, item));
    } catch (err) {
      // A kind whose CRD is not installed has no resources to analyze.
      if (isNotFound(err)) continue;
      throw failed(kind.plural, err);
    }
  }
  return readAnalysisFile(
    docs.map((d) => stringify(d)).join('---\n'),
    CLUSTER_SOURCE,
    () => `kube-${++version}`,
  );
}
