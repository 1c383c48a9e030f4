import type {
  EnvoyCluster,
  EnvoyLbEndpoint,
  EnvoyTransportSocket,
  ProxyConfig,
  SimulatedEndpoint,
  UpstreamTls,
} from './simulation-types.js';

/**
 * Where a cluster sends a call and with which transport socket: the endpoints of its load assignment
 * (EDS, or inline for DNS and static clusters; the original destination for ORIGINAL_DST), each with
 * the socket Envoy picks for it (`transport_socket_matches` first, else the cluster's socket).
 */

type Obj = Record<string, unknown>;

const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';

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

/**
 * The TLS a socket originates, in DestinationRule terms: Istio's ISTIO_MUTUAL is the SDS workload
 * certificate `default` checked against `ROOTCA`; a client certificate of one's own is MUTUAL.
 */
export function upstreamTlsOf(socket: EnvoyTransportSocket | undefined): UpstreamTls {
  if (socket === undefined || socket.name !== 'envoy.transport_sockets.tls') return 'plaintext';
  const common = (socket.typed_config?.['common_tls_context'] ?? {}) as Obj;
  const sds = (common['tls_certificate_sds_secret_configs'] ?? []) as { name?: string }[];
  const validation = common['combined_validation_context'] as
    { validation_context_sds_secret_config?: { name?: string } } | undefined;
  if (
    sds.some((s) => s.name === 'default') &&
    validation?.validation_context_sds_secret_config?.name === 'ROOTCA'
  )
    return 'ISTIO_MUTUAL';
  const certificates = (common['tls_certificates'] ?? []) as unknown[];
  return certificates.length > 0 || sds.length > 0 ? 'MUTUAL' : 'SIMPLE';
}

function lbEndpointsOf(config: ProxyConfig, cluster: EnvoyCluster): EnvoyLbEndpoint[] {
  const eds = (cluster as { eds_cluster_config?: { service_name?: string } }).eds_cluster_config;
  const assignment =
    cluster.type === 'EDS'
      ? config.loadAssignments.get(eds?.service_name ?? cluster.name)
      : cluster.load_assignment;
  return (assignment?.endpoints ?? []).flatMap((locality) => locality.lb_endpoints ?? []);
}

/**
 * The endpoints `clusterName` may send the call to. ORIGINAL_DST clusters (PassthroughCluster)
 * connect to the address the application dialled.
 */
export function clusterEndpoints(
  config: ProxyConfig,
  clusterName: string,
  originalDestination: { address: string; port: number },
): SimulatedEndpoint[] | undefined {
  const cluster = config.clusters.get(clusterName);
  if (cluster === undefined) return undefined;
  if (cluster.type === 'ORIGINAL_DST') {
    return [{ cluster: clusterName, ...originalDestination, tls: upstreamTlsOf(cluster.transport_socket) }];
  }
  return lbEndpointsOf(config, cluster).map((lb) => {
    const socket = lb.endpoint?.address?.socket_address ?? {};
    const { socket: transport, match } = transportSocketFor(cluster, lb);
    return {
      cluster: clusterName,
      address: socket.address ?? '',
      port: socket.port_value ?? 0,
      tls: upstreamTlsOf(transport),
      ...(match === undefined ? {} : { transportSocketMatch: match }),
    };
  });
}
