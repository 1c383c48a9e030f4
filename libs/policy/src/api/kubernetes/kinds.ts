/**
 * The Kubernetes kinds the mesh reads, with the apiVersion it reads them at. The loader uses this table
 * to tell them apart from Istio kinds and from kinds the mesh ignores.
 */
export interface KubernetesKind {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const KUBERNETES_KINDS: readonly KubernetesKind[] = [
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true },
  { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
];

/** Finds a Kubernetes kind the mesh reads, by `apiVersion` and `kind`. */
export function kubernetesKindOf(apiVersion: string, kind: string): KubernetesKind | undefined {
  return KUBERNETES_KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
}
