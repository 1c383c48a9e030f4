import {
  compiledFilterChain,
  filterChainsOf,
  type CompiledFilterChain,
  type HttpConnectionManager,
} from './compiled-filter-chains.js';
import type {
  EnvoyCluster,
  EnvoyListener,
  EnvoyLoadAssignment,
  EnvoyRouteConfiguration,
} from './envoy-resources.js';
import { compiledRouteTable, type RouteTable } from './route-table.js';

/**
 * One proxy's resources (LDS, RDS, CDS, EDS) as Envoy holds them: listeners in order, the rest by
 * name, with every route configuration and filter chain compiled when the set is built. The proxy
 * builds one per accepted config snapshot and the simulation one per generated config; both then
 * only look things up.
 */
export interface ProxyConfig {
  listeners: readonly EnvoyListener[];
  /** RDS route configurations by name, compiled. */
  routes: ReadonlyMap<string, RouteTable>;
  clusters: ReadonlyMap<string, EnvoyCluster>;
  loadAssignments: ReadonlyMap<string, EnvoyLoadAssignment>;
  /** Every listener's filter chains, compiled, by listener name then chain name. */
  chains: ReadonlyMap<string, ReadonlyMap<string, CompiledFilterChain>>;
}

/** A listener's chains by name; the first of a name wins, as a search in order would find it. */
function compiledChainsOf(listener: EnvoyListener): Map<string, CompiledFilterChain> {
  const byName = new Map<string, CompiledFilterChain>();
  for (const chain of filterChainsOf(listener)) {
    const compiled = compiledFilterChain(listener, chain);
    if (!byName.has(compiled.name)) byName.set(compiled.name, compiled);
  }
  return byName;
}

/** Indexes and compiles one set of resources. */
export function proxyConfig(resources: {
  listeners: readonly object[];
  routes: readonly object[];
  clusters: readonly object[];
  loadAssignments: readonly object[];
}): ProxyConfig {
  const byName = <T>(items: readonly object[], key: (item: T) => string) =>
    new Map((items as T[]).map((item) => [key(item), item]));
  const listeners = resources.listeners as EnvoyListener[];
  return {
    listeners,
    routes: new Map(
      (resources.routes as EnvoyRouteConfiguration[]).map((r) => [r.name, compiledRouteTable(r)]),
    ),
    clusters: byName<EnvoyCluster>(resources.clusters, (c) => c.name),
    loadAssignments: byName<EnvoyLoadAssignment>(resources.loadAssignments, (a) => a.cluster_name),
    chains: new Map(listeners.map((listener) => [listener.name, compiledChainsOf(listener)])),
  };
}

/** The routes an HTTP connection manager uses in `config`: its RDS configuration, or its inline one. */
export function routeTableOf(config: ProxyConfig, manager: HttpConnectionManager): RouteTable | undefined {
  const routes = manager.routes;
  if (routes === undefined) return undefined;
  return 'rds' in routes ? config.routes.get(routes.rds) : routes.inline;
}
