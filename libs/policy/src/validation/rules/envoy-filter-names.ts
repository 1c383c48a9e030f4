/**
 * Envoy's deprecated filter names and the canonical names that replaced them, as Istio's
 * `pkg/config/xds/deprecated.go` lists them: a match on a deprecated name gets a warning (Istio's
 * `validateListenerMatchName`). `envoy.ext_authz` named both the HTTP and the network filter; the
 * level of the match (network filter or HTTP sub-filter) says which one is meant.
 */
const HTTP_FILTERS: Readonly<Record<string, string>> = {
  'envoy.buffer': 'envoy.filters.http.buffer',
  'envoy.cors': 'envoy.filters.http.cors',
  'envoy.csrf': 'envoy.filters.http.csrf',
  'envoy.http_dynamo_filter': 'envoy.filters.http.dynamo',
  'envoy.ext_authz': 'envoy.filters.http.ext_authz',
  'envoy.fault': 'envoy.filters.http.fault',
  'envoy.grpc_http1_bridge': 'envoy.filters.http.grpc_http1_bridge',
  'envoy.grpc_json_transcoder': 'envoy.filters.http.grpc_json_transcoder',
  'envoy.grpc_web': 'envoy.filters.http.grpc_web',
  'envoy.gzip': 'envoy.filters.http.gzip',
  'envoy.health_check': 'envoy.filters.http.health_check',
  'envoy.ip_tagging': 'envoy.filters.http.ip_tagging',
  'envoy.lua': 'envoy.filters.http.lua',
  'envoy.rate_limit': 'envoy.filters.http.ratelimit',
  'envoy.router': 'envoy.filters.http.router',
  'envoy.squash': 'envoy.filters.http.squash',
};

const NETWORK_AND_LISTENER_FILTERS: Readonly<Record<string, string>> = {
  'envoy.listener.http_inspector': 'envoy.filters.listener.http_inspector',
  'envoy.listener.original_dst': 'envoy.filters.listener.original_dst',
  'envoy.listener.original_src': 'envoy.filters.listener.original_src',
  'envoy.listener.proxy_protocol': 'envoy.filters.listener.proxy_protocol',
  'envoy.listener.tls_inspector': 'envoy.filters.listener.tls_inspector',
  'envoy.client_ssl_auth': 'envoy.filters.network.client_ssl_auth',
  'envoy.ext_authz': 'envoy.filters.network.ext_authz',
  'envoy.http_connection_manager': 'envoy.filters.network.http_connection_manager',
  'envoy.mongo_proxy': 'envoy.filters.network.mongo_proxy',
  'envoy.ratelimit': 'envoy.filters.network.ratelimit',
  'envoy.redis_proxy': 'envoy.filters.network.redis_proxy',
  'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
};

/** The canonical name for a deprecated filter name, or undefined when the name is not deprecated. */
export function canonicalFilterName(name: string, level: 'filter' | 'subFilter'): string | undefined {
  const names = level === 'subFilter' ? HTTP_FILTERS : NETWORK_AND_LISTENER_FILTERS;
  return names[name] ?? (level === 'filter' ? HTTP_FILTERS[name] : undefined);
}
