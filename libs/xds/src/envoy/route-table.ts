import { durationMs } from './durations.js';
import type { EnvoyRoute, EnvoyRouteConfiguration, EnvoyVirtualHost } from './envoy-resources.js';
import type { HeaderValues } from './matchers.js';
import {
  faultPolicy,
  headerMutations,
  mirrorPolicies,
  pathRewrite,
  retryPolicy,
  type FaultPolicy,
  type HeaderMutation,
  type PathRewrite,
  type RetryPolicy,
} from './route-actions.js';
import { compileRouteMatch, DomainIndex } from './route-matching.js';
import { compileRedirect, type Redirect } from './route-redirects.js';
import { ClusterChoice, type ClusterEntry } from './weighted-clusters.js';

/**
 * A RouteConfiguration compiled once, when the proxy accepts it (or the simulation loads it): virtual
 * hosts indexed by domain, each route's match as a predicate and its action read into typed form, so
 * routing a request is a lookup and a few string tests, never a walk over the config's JSON. A config
 * that cannot be compiled throws here, at acceptance, where the proxy turns it into a NACK.
 */

type Obj = Record<string, unknown>;

/** A cluster a forwarding route may send to, with the header changes that apply when it is chosen. */
export interface RouteCluster extends ClusterEntry {
  request: HeaderMutation;
  response: HeaderMutation;
  /** `host_rewrite_literal` of the weighted cluster (Istio puts a destination's `:authority` there). */
  hostRewrite?: string;
}

export interface ForwardAction {
  kind: 'forward';
  clusters: ClusterChoice<RouteCluster>;
  /** The route's own `host_rewrite_literal`; wins over a weighted cluster's. */
  hostRewrite?: string;
  rewritePath: PathRewrite;
  /** 0: no timeout (Istio's default); Envoy's default is 15 s. */
  timeoutMs: number;
  retry?: RetryPolicy;
  fault?: FaultPolicy;
  /** The route's `hash_policy`, for consistent-hash clusters. */
  hashPolicy?: Obj[];
  mirrors: readonly { cluster: string; fraction: number }[];
}

export type RouteAction =
  | ForwardAction
  | { kind: 'direct'; status: number; body?: string; response: HeaderMutation }
  | { kind: 'redirect'; redirect: Redirect; config: Obj; response: HeaderMutation }
  /** A route action naming no cluster this data plane resolves (`cluster_header`, plugins). */
  | { kind: 'unresolved' };

export interface CompiledRoute {
  name?: string;
  matches: (headers: HeaderValues) => boolean;
  action: RouteAction;
}

export interface CompiledVirtualHost {
  name: string;
  routes: readonly CompiledRoute[];
  /** `require_tls: ALL`: a request that did not arrive over TLS is redirected to https first. */
  requireTls: boolean;
}

export interface RouteTable {
  name: string;
  /** The virtual host Envoy picks for a Host (case-insensitive, port included as sent). */
  virtualHosts: DomainIndex<CompiledVirtualHost>;
}

function forwardAction(route: EnvoyRoute, vhost: EnvoyVirtualHost, levels: Obj[]): RouteAction {
  const action = route.route ?? {};
  const clusterLevel = (entry: Obj | undefined, name: string, weight?: number): RouteCluster => {
    const hostRewrite = entry?.['host_rewrite_literal'] as string | undefined;
    return {
      name,
      ...(weight === undefined ? {} : { weight }),
      ...headerMutations(entry, ...levels),
      ...(hostRewrite === undefined ? {} : { hostRewrite }),
    };
  };
  const weighted = (action['weighted_clusters'] as { clusters?: Obj[] } | undefined)?.clusters;
  const cluster = action['cluster'] as string | undefined;
  if (!weighted?.length && !cluster) return { kind: 'unresolved' };
  const clusters = weighted?.length
    ? ClusterChoice.weighted(
        weighted.map((c) =>
          clusterLevel(c, c['name'] as string, (c['weight'] as { value?: number } | undefined)?.value ?? 0),
        ),
      )
    : ClusterChoice.single(clusterLevel(undefined, cluster as string));
  const retry = retryPolicy(action['retry_policy'] ?? (vhost as unknown as Obj)['retry_policy']);
  const fault = faultPolicy(route as unknown as Obj);
  const hashPolicy = action['hash_policy'] as Obj[] | undefined;
  const hostRewrite = action['host_rewrite_literal'] as string | undefined;
  return {
    kind: 'forward',
    clusters,
    ...(hostRewrite === undefined ? {} : { hostRewrite }),
    rewritePath: pathRewrite(action, route.match),
    timeoutMs: durationMs(action['timeout']) ?? 15_000,
    ...(retry ? { retry } : {}),
    ...(fault ? { fault } : {}),
    ...(hashPolicy ? { hashPolicy } : {}),
    mirrors: mirrorPolicies(action),
  };
}

function compileAction(
  route: EnvoyRoute,
  vhost: EnvoyVirtualHost,
  config: EnvoyRouteConfiguration,
): RouteAction {
  const levels = [route, vhost, config] as unknown as Obj[];
  if (route.direct_response) {
    const body = route.direct_response.body?.inline_string;
    return {
      kind: 'direct',
      status: route.direct_response.status,
      ...(body === undefined ? {} : { body }),
      response: headerMutations(...levels).response,
    };
  }
  if (route.redirect)
    return {
      kind: 'redirect',
      redirect: compileRedirect(route.redirect),
      config: route.redirect,
      response: headerMutations(...levels).response,
    };
  return forwardAction(route, vhost, levels);
}

const tables = new WeakMap<EnvoyRouteConfiguration, RouteTable>();

/** A route configuration's table, compiled once per config object (the proxy compiles it on accepting it). */
export function compiledRouteTable(config: EnvoyRouteConfiguration): RouteTable {
  let table = tables.get(config);
  if (table === undefined) {
    table = compileRouteTable(config);
    tables.set(config, table);
  }
  return table;
}

function compileRouteTable(config: EnvoyRouteConfiguration): RouteTable {
  const virtualHosts = (config.virtual_hosts ?? []).map((vhost) => ({
    domains: vhost.domains,
    value: {
      name: vhost.name,
      requireTls: vhost.require_tls === 'ALL',
      routes: (vhost.routes ?? []).map((route) => ({
        ...(route.name === undefined ? {} : { name: route.name }),
        matches: compileRouteMatch(route.match),
        action: compileAction(route, vhost, config),
      })),
    },
  }));
  return { name: config.name, virtualHosts: new DomainIndex(virtualHosts) };
}

/** The first route of the virtual host whose match holds for the request. */
export function selectRoute(vhost: CompiledVirtualHost, headers: HeaderValues): CompiledRoute | undefined {
  return vhost.routes.find((route) => route.matches(headers));
}
