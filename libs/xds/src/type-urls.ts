/** Type URLs of the xDS resource types the mesh serves (Envoy v3). */
export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type KnownTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** The usual short names (LDS, RDS, CDS, EDS, SDS) used in logs, metrics and debug output. */
export const SHORT_NAMES: Readonly<Record<string, string>> = {
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.RouteConfiguration]: 'RDS',
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.ClusterLoadAssignment]: 'EDS',
  [TypeUrl.Secret]: 'SDS',
};

/** Short name for a type URL, or the message name for types without one. */
export function shortNameOf(typeUrl: string): string {
  return SHORT_NAMES[typeUrl] ?? typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/**
 * The order in which a full push sends types, as Istio does: clusters before the endpoints that fill
 * them, listeners before the routes they name, secrets last (Envoy warms clusters and listeners).
 */
export const PUSH_ORDER: readonly string[] = [
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
  TypeUrl.Secret,
];

/** Compares two type URLs by push order; unknown types go last, alphabetically. */
export function comparePushOrder(a: string, b: string): number {
  const ia = PUSH_ORDER.indexOf(a);
  const ib = PUSH_ORDER.indexOf(b);
  if (ia !== ib) return (ia === -1 ? PUSH_ORDER.length : ia) - (ib === -1 ? PUSH_ORDER.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}
