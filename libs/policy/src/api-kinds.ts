/**
 * The Istio API kinds the mesh understands, with the group and the versions Istio serves them at
 * (DESIGN.md §2). The first version is the one the mesh writes and prefers; the API server stores it
 * too unless `storageVersion` names another, as Istio's CRD does. The remaining fields describe the CRD the
 * `base` chart installs for the kind, matching Istio's own CRDs (names, short names, printer columns).
 */
export interface IstioKind {
  group: string;
  kind: IstioKindName;
  /** Lowercase plural used in REST paths. */
  plural: string;
  singular: string;
  versions: readonly string[];
  /**
   * The version the API server stores objects at, when not the first: Istio's Telemetry CRD serves v1
   * but still stores v1alpha1, and a cluster upgraded from Istio keeps its objects stored so.
   */
  storageVersion?: string;
  shortNames: readonly string[];
  /** Extra `kubectl get` columns, besides the name. */
  printerColumns: readonly PrinterColumn[];
  /** Istio marks `spec` required for these kinds (their messages have required fields). */
  specRequired: boolean;
}

export type IstioKindName =
  | 'VirtualService'
  | 'DestinationRule'
  | 'Gateway'
  | 'ServiceEntry'
  | 'WorkloadEntry'
  | 'WorkloadGroup'
  | 'Sidecar'
  | 'EnvoyFilter'
  | 'PeerAuthentication'
  | 'RequestAuthentication'
  | 'AuthorizationPolicy'
  | 'Telemetry'
  | 'ProxyConfig'
  | 'WasmPlugin'
  | 'TrafficExtension';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date';
  jsonPath: string;
  description: string;
}

const NETWORKING = ['v1', 'v1beta1', 'v1alpha3'] as const;
const SECURITY = ['v1', 'v1beta1'] as const;

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC. Populated by the system. Read-only. Null for lists.',
};

function column(name: string, jsonPath: string, description: string): PrinterColumn {
  return { name, type: 'string', jsonPath, description };
}

export const ISTIO_KINDS: readonly IstioKind[] = [
  {
    group: 'networking.istio.io',
    kind: 'VirtualService',
    plural: 'virtualservices',
    singular: 'virtualservice',
    versions: NETWORKING,
    shortNames: ['vs'],
    printerColumns: [
      column(
        'Gateways',
        '.spec.gateways',
        'The names of gateways and sidecars that should apply these routes',
      ),
      column('Hosts', '.spec.hosts', 'The destination hosts to which traffic is being sent'),
      AGE,
    ],
    specRequired: false,
  },
  {
    group: 'networking.istio.io',
    kind: 'DestinationRule',
    plural: 'destinationrules',
    singular: 'destinationrule',
    versions: NETWORKING,
    shortNames: ['dr'],
    printerColumns: [column('Host', '.spec.host', 'The name of a service from the service registry'), AGE],
    specRequired: false,
  },
  {
    group: 'networking.istio.io',
    kind: 'Gateway',
    plural: 'gateways',
    singular: 'gateway',
    versions: NETWORKING,
    shortNames: ['gw'],
    printerColumns: [],
    specRequired: false,
  },
  {
    group: 'networking.istio.io',
    kind: 'ServiceEntry',
    plural: 'serviceentries',
    singular: 'serviceentry',
    versions: NETWORKING,
    shortNames: ['se'],
    printerColumns: [
      column('Hosts', '.spec.hosts', 'The hosts associated with the ServiceEntry'),
      column(
        'Location',
        '.spec.location',
        'Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)',
      ),
      column(
        'Resolution',
        '.spec.resolution',
        'Service resolution mode for the hosts (NONE, STATIC, or DNS)',
      ),
      AGE,
    ],
    specRequired: true,
  },
  {
    group: 'networking.istio.io',
    kind: 'WorkloadEntry',
    plural: 'workloadentries',
    singular: 'workloadentry',
    versions: NETWORKING,
    shortNames: ['we'],
    printerColumns: [
      AGE,
      column('Address', '.spec.address', 'Address associated with the network endpoint.'),
    ],
    specRequired: true,
  },
  {
    group: 'networking.istio.io',
    kind: 'WorkloadGroup',
    plural: 'workloadgroups',
    singular: 'workloadgroup',
    versions: NETWORKING,
    shortNames: ['wg'],
    printerColumns: [AGE],
    specRequired: true,
  },
  {
    group: 'networking.istio.io',
    kind: 'Sidecar',
    plural: 'sidecars',
    singular: 'sidecar',
    versions: NETWORKING,
    shortNames: [],
    printerColumns: [],
    specRequired: false,
  },
  {
    group: 'networking.istio.io',
    kind: 'EnvoyFilter',
    plural: 'envoyfilters',
    singular: 'envoyfilter',
    versions: ['v1alpha3'],
    shortNames: [],
    printerColumns: [],
    specRequired: false,
  },
  {
    group: 'security.istio.io',
    kind: 'PeerAuthentication',
    plural: 'peerauthentications',
    singular: 'peerauthentication',
    versions: SECURITY,
    shortNames: ['pa'],
    printerColumns: [
      column('Mode', '.spec.mtls.mode', 'Defines the mTLS mode used for peer authentication.'),
      AGE,
    ],
    specRequired: false,
  },
  {
    group: 'security.istio.io',
    kind: 'RequestAuthentication',
    plural: 'requestauthentications',
    singular: 'requestauthentication',
    versions: SECURITY,
    shortNames: ['ra'],
    printerColumns: [],
    specRequired: false,
  },
  {
    group: 'security.istio.io',
    kind: 'AuthorizationPolicy',
    plural: 'authorizationpolicies',
    singular: 'authorizationpolicy',
    versions: SECURITY,
    shortNames: ['ap'],
    printerColumns: [column('Action', '.spec.action', 'The operation to take.'), AGE],
    specRequired: false,
  },
  {
    group: 'telemetry.istio.io',
    kind: 'Telemetry',
    plural: 'telemetries',
    singular: 'telemetry',
    versions: ['v1', 'v1alpha1'],
    storageVersion: 'v1alpha1',
    shortNames: ['telemetry'],
    printerColumns: [AGE],
    specRequired: false,
  },
  {
    group: 'networking.istio.io',
    kind: 'ProxyConfig',
    plural: 'proxyconfigs',
    singular: 'proxyconfig',
    versions: ['v1beta1'],
    shortNames: [],
    printerColumns: [],
    specRequired: false,
  },
  {
    group: 'extensions.istio.io',
    kind: 'WasmPlugin',
    plural: 'wasmplugins',
    singular: 'wasmplugin',
    versions: ['v1alpha1'],
    shortNames: [],
    printerColumns: [AGE],
    specRequired: true,
  },
  {
    group: 'extensions.istio.io',
    kind: 'TrafficExtension',
    plural: 'trafficextensions',
    singular: 'trafficextension',
    versions: ['v1alpha1'],
    shortNames: [],
    printerColumns: [AGE],
    specRequired: true,
  },
];

/** Finds the kind an `apiVersion` + `kind` pair names, if Istio serves it at that version. */
export function istioKindOf(apiVersion: string, kind: string): IstioKind | undefined {
  const [group, version] = apiVersion.split('/');
  return ISTIO_KINDS.find(
    (k) => k.group === group && k.kind === kind && version !== undefined && k.versions.includes(version),
  );
}

/** Finds an Istio kind by group and kind alone, whatever the version (to report unserved versions). */
export function istioKindByName(apiVersion: string, kind: string): IstioKind | undefined {
  const group = apiVersion.split('/')[0];
  return ISTIO_KINDS.find((k) => k.group === group && k.kind === kind);
}

/** The version a kind's CRD stores objects at. */
export function storageVersionOf(kind: Pick<IstioKind, 'versions' | 'storageVersion'>): string {
  return kind.storageVersion ?? (kind.versions[0] as string);
}
