import { filterOf, KNOWN_FILTERS } from '../../../envoy/known-filters.js';

/** Pieces shared by the inbound and outbound sidecar listeners (Istio's special clusters, istio-facts §7.2). */

type Obj = Record<string, unknown>;

export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';

/** Istio upgrades WebSocket connections on every HTTP connection manager. */
export const WEBSOCKET_UPGRADE = { upgrade_type: 'websocket' };

/** Protocols served through an HTTP connection manager; everything else is proxied as TCP. */
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

export function isHttpProtocol(protocol: string): boolean {
  return HTTP_PROTOCOLS.has(protocol.toUpperCase());
}

export function socketAddress(address: string, port: number): Obj {
  return { socket_address: { address, port_value: port } };
}

/** A tcp_proxy to one cluster; Istio uses the cluster name as the stat prefix. */
export function tcpProxy(cluster: string): Obj {
  return filterOf(KNOWN_FILTERS.tcpProxy, { stat_prefix: cluster, cluster });
}

/** Envoy's TLS inspector: without it a listener cannot see TLS, ALPN or SNI to match filter chains on. */
const TLS_INSPECTOR = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  },
};

/** Adds the TLS inspector to a listener whose chains match on transport protocol, ALPN or server name. */
export function withTlsInspector(listener: Obj): Obj {
  const chains = (listener['filter_chains'] as { filter_chain_match?: Obj }[] | undefined) ?? [];
  const inspects = chains.some((c) => {
    const match = c.filter_chain_match ?? {};
    return (
      match['transport_protocol'] !== undefined ||
      match['application_protocols'] !== undefined ||
      match['server_names'] !== undefined
    );
  });
  return inspects ? { ...listener, listener_filters: [TLS_INSPECTOR] } : listener;
}
