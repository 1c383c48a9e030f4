/**
 * The Istio API kinds the mesh understands, with the group and the versions Istio serves them at
 * (DESIGN.md §2). The first version is the storage version.
 */
export interface IstioKind {
  group: string;
  kind: string;
  /** Lowercase plural used in REST paths. */
  plural: string;
  versions: readonly string[];
}

const NETWORKING = ['v1', 'v1beta1', 'v1alpha3'] as const;
const SECURITY = ['v1', 'v1beta1'] as const;

export const ISTIO_KINDS: readonly IstioKind[] = [
  { group: 'networking.istio.io', kind: 'VirtualService', plural: 'virtualservices', versions: NETWORKING },
  { group: 'networking.istio.io', kind: 'DestinationRule', plural: 'destinationrules', versions: NETWORKING },
  { group: 'networking.istio.io', kind: 'Gateway', plural: 'gateways', versions: NETWORKING },
  { group: 'networking.istio.io', kind: 'ServiceEntry', plural: 'serviceentries', versions: NETWORKING },
  { group: 'networking.istio.io', kind: 'WorkloadEntry', plural: 'workloadentries', versions: NETWORKING },
  { group: 'networking.istio.io', kind: 'WorkloadGroup', plural: 'workloadgroups', versions: NETWORKING },
  { group: 'networking.istio.io', kind: 'Sidecar', plural: 'sidecars', versions: NETWORKING },
  { group: 'networking.istio.io', kind: 'EnvoyFilter', plural: 'envoyfilters', versions: ['v1alpha3'] },
  {
    group: 'security.istio.io',
    kind: 'PeerAuthentication',
    plural: 'peerauthentications',
    versions: SECURITY,
  },
  {
    group: 'security.istio.io',
    kind: 'RequestAuthentication',
    plural: 'requestauthentications',
    versions: SECURITY,
  },
  {
    group: 'security.istio.io',
    kind: 'AuthorizationPolicy',
    plural: 'authorizationpolicies',
    versions: SECURITY,
  },
  { group: 'telemetry.istio.io', kind: 'Telemetry', plural: 'telemetries', versions: ['v1', 'v1alpha1'] },
];

/** Finds the kind an `apiVersion` + `kind` pair names, if Istio serves it at that version. */
export function istioKindOf(apiVersion: string, kind: string): IstioKind | undefined {
  const [group, version] = apiVersion.split('/');
  return ISTIO_KINDS.find(
    (k) => k.group === group && k.kind === kind && version !== undefined && k.versions.includes(version),
  );
}
