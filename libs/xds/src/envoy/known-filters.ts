import type { EnvoyFilter, EnvoyTransportSocket } from './envoy-resources.js';

/**
 * The Envoy extensions this mesh generates and its proxy runs, in one table: the canonical name
 * istiod gives each filter and the `@type` of its config. Envoy finds a filter's implementation by
 * that `@type` (the name is a free-form instance label: istiod names its RBAC filters
 * `envoy.filters.http.rbac.deny` and the like), so every lookup here is by `@type`.
 */

export interface KnownFilter {
  /** The name istiod gives the filter (Envoy's canonical extension name). */
  name: string;
  /** The `@type` of its `typed_config`. */
  type: string;
  /** Where it runs: in a filter chain, or in the HTTP connection manager's `http_filters`. */
  level: 'network' | 'http';
}

const TYPE_PREFIX = 'type.googleapis.com/envoy.extensions.filters';

export const KNOWN_FILTERS = {
  httpConnectionManager: {
    name: 'envoy.filters.network.http_connection_manager',
    type: `${TYPE_PREFIX}.network.http_connection_manager.v3.HttpConnectionManager`,
    level: 'network',
  },
  tcpProxy: {
    name: 'envoy.filters.network.tcp_proxy',
    type: `${TYPE_PREFIX}.network.tcp_proxy.v3.TcpProxy`,
    level: 'network',
  },
  networkRbac: {
    name: 'envoy.filters.network.rbac',
    type: `${TYPE_PREFIX}.network.rbac.v3.RBAC`,
    level: 'network',
  },
  httpRbac: { name: 'envoy.filters.http.rbac', type: `${TYPE_PREFIX}.http.rbac.v3.RBAC`, level: 'http' },
  fault: { name: 'envoy.filters.http.fault', type: `${TYPE_PREFIX}.http.fault.v3.HTTPFault`, level: 'http' },
  // CORS is passed through by the proxy: preflights reach the application.
  cors: { name: 'envoy.filters.http.cors', type: `${TYPE_PREFIX}.http.cors.v3.Cors`, level: 'http' },
  router: { name: 'envoy.filters.http.router', type: `${TYPE_PREFIX}.http.router.v3.Router`, level: 'http' },
} as const satisfies Record<string, KnownFilter>;

/** The transport socket that terminates or originates TLS (Down-/UpstreamTlsContext). */
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';

const byType = new Map<string, KnownFilter>(Object.values(KNOWN_FILTERS).map((f) => [f.type, f]));

/** A filter as istiod writes it: its name (canonical unless given) and its config, `@type` first. */
export function filterOf(
  kind: KnownFilter,
  config: Record<string, unknown> = {},
  name: string = kind.name,
): { name: string; typed_config: Record<string, unknown> } {
  return { name, typed_config: { '@type': kind.type, ...config } };
}

/** The `@type` of a filter's config, or undefined when it has none. */
export function filterTypeOf(filter: EnvoyFilter): string | undefined {
  const type = filter.typed_config?.['@type'];
  return typeof type === 'string' ? type : undefined;
}

/** The known filter a config `@type` names at `level`, if this mesh knows it there. */
export function knownFilterOf(
  type: string | undefined,
  level: KnownFilter['level'],
): KnownFilter | undefined {
  const known = type === undefined ? undefined : byType.get(type);
  return known?.level === level ? known : undefined;
}

/** The config of the first filter of kind `kind` in `filters`, if any. */
export function filterConfig(
  filters: readonly EnvoyFilter[],
  kind: KnownFilter,
): Record<string, unknown> | undefined {
  return filters.find((filter) => filterTypeOf(filter) === kind.type)?.typed_config;
}

/** The configs of every filter of kind `kind`, in order (a chain may hold several RBAC filters). */
export function filterConfigs(filters: readonly EnvoyFilter[], kind: KnownFilter): Record<string, unknown>[] {
  return filters.flatMap((filter) =>
    filterTypeOf(filter) === kind.type && filter.typed_config ? [filter.typed_config] : [],
  );
}

/** Whether a transport socket speaks TLS (the only one this mesh configures). */
export function isTlsTransportSocket(
  socket: EnvoyTransportSocket | undefined,
): socket is EnvoyTransportSocket {
  return socket?.name === TLS_TRANSPORT_SOCKET;
}
