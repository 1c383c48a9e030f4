import { ISTIO_KINDS, KUBERNETES_KINDS } from '@mesh/policy';

/** A kind istiod lists and watches across all namespaces. */
export interface WatchedKind {
  kind: string;
  apiVersion: string;
  /** Collection path for every namespace, e.g. `/apis/networking.istio.io/v1/virtualservices`. */
  path: string;
}

function collectionPath(apiVersion: string, plural: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}/${plural}` : `/api/${apiVersion}/${plural}`;
}

/**
 * Everything the mesh reads from a cluster: the Istio kinds at their storage version (v1, or the only
 * version served) and the Kubernetes kinds of DESIGN.md §5.
 */
export const MESH_WATCHED_KINDS: readonly WatchedKind[] = [
  ...ISTIO_KINDS.map((k) => {
    const version = k.versions.includes('v1') ? 'v1' : (k.versions[0] as string);
    return {
      kind: k.kind,
      apiVersion: `${k.group}/${version}`,
      path: collectionPath(`${k.group}/${version}`, k.plural),
    };
  }),
  ...KUBERNETES_KINDS.map((k) => ({
    kind: k.kind,
    apiVersion: k.apiVersion,
    path: collectionPath(k.apiVersion, k.plural),
  })),
];
