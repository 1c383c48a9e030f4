import { ALL_VERBS, STATUS_SUBRESOURCE, type ResourceType, type SubresourceType } from './resource-types.js';

/**
 * The built-in resource types the test server serves: those the mesh reads or writes (Services,
 * EndpointSlices, Pods, webhooks, CRDs, TokenReview, Leases, ...) plus the workload kinds a user's
 * manifests contain. They are stored generically as JSON; the few behaviours the mesh depends on
 * (Service cluster IPs, Pod phase, Namespace phase) live in `builtin-defaults.ts`. Names, short
 * names, verbs and selectable fields are those of kube-apiserver 1.32.
 */
interface BuiltinEntry {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  extraSubresources?: SubresourceType[];
  selectableFields?: string[];
  verbs?: string[];
  virtual?: boolean;
  generation?: boolean;
}

const ALL = ['all'];

// A table reads best one type per line.
// prettier-ignore
const ENTRIES: BuiltinEntry[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], status: true, selectableFields: ['status.phase'] },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], status: true, selectableFields: ['spec.unschedulable'] },
  {
    group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ALL, status: true,
    selectableFields: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ALL, status: true },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, selectableFields: ['type'] },
  {
    group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'],
    extraSubresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  },
  {
    group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'],
    selectableFields: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'reason', 'type'],
  },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ALL, status: true, generation: true },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ALL, status: true, generation: true },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], categories: ALL, status: true, generation: true },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ALL, status: true, generation: true },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'], generation: true },
  { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'], generation: true },
  { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], status: true, generation: true },
  { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
];

export const BUILTIN_RESOURCE_TYPES: readonly ResourceType[] = ENTRIES.map((entry) => ({
  group: entry.group,
  version: entry.version,
  resource: entry.resource,
  singular: entry.kind.toLowerCase(),
  kind: entry.kind,
  listKind: `${entry.kind}List`,
  namespaced: entry.namespaced,
  verbs: entry.verbs ?? ALL_VERBS,
  shortNames: entry.shortNames ?? [],
  categories: entry.categories ?? [],
  subresources: [
    ...(entry.status ? [{ ...STATUS_SUBRESOURCE, kind: entry.kind }] : []),
    ...(entry.extraSubresources ?? []),
  ],
  storage: `${entry.group}/${entry.resource}`,
  origin: entry.virtual ? 'virtual' : 'builtin',
  tracksGeneration: entry.generation ?? false,
  selectableFields: entry.selectableFields ?? [],
}));

/** Storage keys of the types whose behaviour the server implements beyond generic storage. */
export const STORAGE = {
  namespaces: '/namespaces',
  pods: '/pods',
  services: '/services',
  serviceAccounts: '/serviceaccounts',
  mutatingWebhooks: 'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  validatingWebhooks: 'admissionregistration.k8s.io/validatingwebhookconfigurations',
  crds: 'apiextensions.k8s.io/customresourcedefinitions',
} as const;
