import { KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { apiStatusOf, isNotFound, loadKubeConfig } from '@mesh/kube';

/**
 * The cluster the install commands work on (`--kubeconfig`, `--context`, as kube-inject takes them,
 * through libs/kube's loadKubeConfig), and the one way they report that it cannot be reached or
 * refused a request: "no Kubernetes cluster reachable at URL (doing X): reason" versus the API
 * server's own status message.
 */

export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
}

export class ClusterAccessError extends Error {
  override readonly name = 'ClusterAccessError';
}

export interface ClusterConnection {
  config: KubeConfig;
  server: string;
  objects: KubernetesObjectApi;
  /** Wraps a failed request's error: `what` says what was being done. */
  error(err: unknown, what: string): ClusterAccessError;
}

export function describeClusterError(err: unknown, server: string, what: string): ClusterAccessError {
  const status = apiStatusOf(err);
  if (status) return new ClusterAccessError(`cannot ${what}: ${status.message ?? status.reason ?? ''}`);
  return new ClusterAccessError(
    `no Kubernetes cluster reachable at ${server || '(no server)'} (trying to ${what}): ${(err as Error).message}`,
  );
}

export function connectToCluster(options: ClusterOptions): ClusterConnection {
  let config: KubeConfig;
  try {
    config = loadKubeConfig(options);
  } catch (err) {
    throw new ClusterAccessError(`cannot load the kubeconfig: ${(err as Error).message}`);
  }
  const server = config.getCurrentCluster()?.server ?? '';
  if (server === '') throw new ClusterAccessError('the kubeconfig names no cluster (no current context)');
  return {
    config,
    server,
    objects: KubernetesObjectApi.makeApiClient(config),
    error: (err, what) => describeClusterError(err, server, what),
  };
}

/** The object, or undefined when it does not exist; other failures throw a ClusterAccessError. */
export async function readIfExists<T = object>(
  cluster: ClusterConnection,
  ref: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
): Promise<T | undefined> {
  try {
    return (await cluster.objects.read(ref)) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw cluster.error(err, `read ${ref.kind} ${refName(ref)}`);
  }
}

export const refName = (ref: { metadata: { name: string; namespace?: string } }) =>
  ref.metadata.namespace ? `${ref.metadata.namespace}/${ref.metadata.name}` : ref.metadata.name;
