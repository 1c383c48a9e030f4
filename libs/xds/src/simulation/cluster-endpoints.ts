import { isTlsTransportSocket } from '../envoy/known-filters.js';
import type { ProxyConfig } from '../envoy/proxy-config.js';
import type { EnvoyTransportSocket } from '../envoy/envoy-resources.js';
import { loadAssignmentOf, transportSocketFor } from '../envoy/upstream-clusters.js';
import type { SimulatedEndpoint, UpstreamTls } from './simulation-types.js';

/**
 * Where a cluster sends a call and with which TLS, for the report: the endpoints of its load
 * assignment (EDS, or inline for DNS and static clusters; the original destination for ORIGINAL_DST),
 * each with the socket Envoy picks for it, described in DestinationRule terms.
 */

type Obj = Record<string, unknown>;

/**
 * The TLS a socket originates, in DestinationRule terms: Istio's ISTIO_MUTUAL is the SDS workload
 * certificate `default` checked against `ROOTCA`; a client certificate of one's own is MUTUAL.
 */
export function upstreamTlsOf(socket: EnvoyTransportSocket | undefined): UpstreamTls {
  if (!isTlsTransportSocket(socket)) return 'plaintext';
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
  const assignment = loadAssignmentOf(cluster, config.loadAssignments);
  return (assignment?.endpoints ?? [])
    .flatMap((locality) => locality.lb_endpoints ?? [])
    .map((lb) => {
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
