import type {
  EnvoyCluster,
  EnvoyLbEndpoint,
  EnvoyLoadAssignment,
  EnvoyTransportSocket,
} from './envoy-resources.js';

/**
 * Where a cluster's endpoints come from and which transport socket each one gets: the load assignment
 * of an EDS cluster (by `service_name`, else the cluster's name) or the cluster's inline one, and the
 * socket Envoy picks per endpoint (`transport_socket_matches` first, else the cluster's socket).
 */

const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';

/** The load assignment an EDS cluster subscribes to: `service_name`, else the cluster's own name. */
export function edsServiceNameOf(cluster: EnvoyCluster): string {
  const eds = (cluster as { eds_cluster_config?: { service_name?: string } }).eds_cluster_config;
  return eds?.service_name || cluster.name;
}

/** The cluster's endpoints: from EDS (`assignments`, by service name) or inline for other types. */
export function loadAssignmentOf(
  cluster: EnvoyCluster,
  assignments: ReadonlyMap<string, EnvoyLoadAssignment>,
): EnvoyLoadAssignment | undefined {
  return cluster.type === 'EDS' ? assignments.get(edsServiceNameOf(cluster)) : cluster.load_assignment;
}

function structValuesEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Envoy's `TransportSocketMatcherImpl`: the first entry whose `match` fields all appear, with equal
 * values, in the endpoint's `envoy.transport_socket_match` metadata (an empty match takes any
 * endpoint), else the cluster's own socket.
 */
export function transportSocketFor(
  cluster: EnvoyCluster,
  endpoint: EnvoyLbEndpoint,
): { socket: EnvoyTransportSocket | undefined; match?: string } {
  const metadata = endpoint.metadata?.filter_metadata?.[TRANSPORT_SOCKET_MATCH]?.fields ?? {};
  for (const entry of cluster.transport_socket_matches ?? []) {
    const fields = entry.match?.fields ?? {};
    if (Object.entries(fields).every(([key, value]) => structValuesEqual(metadata[key], value)))
      return { socket: entry.transport_socket, match: entry.name };
  }
  return { socket: cluster.transport_socket };
}
