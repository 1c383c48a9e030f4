import type {
  EnvoyFilter,
  EnvoyFilterChain,
  EnvoyListener,
  EnvoyRouteConfiguration,
} from './envoy-resources.js';
import { chainName, downstreamTlsOf, type DownstreamTls } from './filter-chains.js';
import { filterConfig, filterConfigs, KNOWN_FILTERS, type KnownFilter } from './known-filters.js';
import type { EnvoyRbacConfig } from './rbac-engine.js';
import { pathNormalizationOf, type PathNormalization } from './rbac-filters.js';
import { compiledRouteTable, type RouteTable } from './route-table.js';
import { tcpProxyClusters, type ClusterChoice } from './weighted-clusters.js';

/**
 * What a filter chain does with a connection, read from its config once: the TLS it terminates, its
 * network RBAC filters, and either the HTTP connection manager (its RBAC filters, path normalization
 * and routes) or `tcp_proxy` (its clusters). Compiled once per config object, when the config is
 * accepted (`proxyConfig` compiles every chain), so a connection or request only looks it up.
 */

type Obj = Record<string, unknown>;

export interface HttpConnectionManager {
  /** The manager's `typed_config`, for the settings read where they act (XFCC, upgrades). */
  config: Obj;
  rbac: readonly EnvoyRbacConfig[];
  pathNormalization: PathNormalization;
  /** Routes by RDS name (looked up in the config snapshot), or inline, compiled with the listener. */
  routes?: { rds: string } | { inline: RouteTable };
}

export interface CompiledFilterChain {
  /** Its name in reports and statistics (`chainName`). */
  name: string;
  /** The TLS it terminates; undefined for plaintext. */
  tls?: DownstreamTls;
  /** The network RBAC filters, in order. */
  rbac: readonly EnvoyRbacConfig[];
  http?: HttpConnectionManager;
  tcp?: { clusters: ClusterChoice };
}

const managers = new WeakMap<Obj, HttpConnectionManager>();
const chains = new WeakMap<EnvoyFilterChain, CompiledFilterChain>();

const rbacConfigs = (filters: readonly EnvoyFilter[], kind: KnownFilter) =>
  filterConfigs(filters, kind) as EnvoyRbacConfig[];

/** An HTTP connection manager's config, compiled once per config object. */
export function httpConnectionManagerOf(hcm: Obj): HttpConnectionManager {
  let compiled = managers.get(hcm);
  if (compiled === undefined) {
    const rds = (hcm['rds'] as { route_config_name?: string } | undefined)?.route_config_name;
    const inline = hcm['route_config'] as EnvoyRouteConfiguration | undefined;
    compiled = {
      config: hcm,
      rbac: rbacConfigs((hcm['http_filters'] ?? []) as EnvoyFilter[], KNOWN_FILTERS.httpRbac),
      pathNormalization: pathNormalizationOf(hcm),
      ...(rds ? { routes: { rds } } : inline ? { routes: { inline: compiledRouteTable(inline) } } : {}),
    };
    managers.set(hcm, compiled);
  }
  return compiled;
}

/** A listener's filter chain, compiled once per config object. */
export function compiledFilterChain(listener: EnvoyListener, chain: EnvoyFilterChain): CompiledFilterChain {
  let compiled = chains.get(chain);
  if (compiled === undefined) {
    const tls = downstreamTlsOf(chain);
    const hcm = filterConfig(chain.filters, KNOWN_FILTERS.httpConnectionManager);
    const tcp = hcm === undefined ? filterConfig(chain.filters, KNOWN_FILTERS.tcpProxy) : undefined;
    compiled = {
      name: chainName(listener, chain),
      ...(tls === undefined ? {} : { tls }),
      rbac: rbacConfigs(chain.filters, KNOWN_FILTERS.networkRbac),
      ...(hcm === undefined ? {} : { http: httpConnectionManagerOf(hcm) }),
      ...(tcp === undefined ? {} : { tcp: { clusters: tcpProxyClusters(tcp) } }),
    };
    chains.set(chain, compiled);
  }
  return compiled;
}

/** Every chain of a listener, the default chain last. */
export function filterChainsOf(listener: EnvoyListener): EnvoyFilterChain[] {
  return [
    ...(listener.filter_chains ?? []),
    ...(listener.default_filter_chain ? [listener.default_filter_chain] : []),
  ];
}
