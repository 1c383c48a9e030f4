import {
  redirectLocation,
  selectRoute,
  type FaultPolicy,
  type HeaderMutation,
  type HeaderValues,
  type RetryPolicy,
  type RouteTable,
} from '@mesh/xds';

export type { FaultPolicy, HeaderMutation, RetryPolicy };

/**
 * What Envoy's router decides for one request: a direct response, a redirect, or a forward to a
 * cluster with the header changes, path and host rewrites, timeout, retries and fault the route
 * carries. The route table was compiled when its configuration was accepted (libs/xds `envoy/`), so
 * this is a lookup, a weighted pick and the rewrites that depend on the request.
 */

type Obj = Record<string, unknown>;

export type RouteDecision =
  | { kind: 'no-route'; virtualHost?: string }
  | { kind: 'direct'; route: string; status: number; body?: string; response: HeaderMutation }
  | { kind: 'redirect'; route: string; status: number; location: string; response: HeaderMutation }
  | {
      kind: 'forward';
      route: string;
      virtualHost: string;
      cluster: string;
      path: string;
      /** New `:authority`, when the route rewrites the host. */
      authority?: string;
      /** 0: no timeout (Istio's default). */
      timeoutMs: number;
      retry?: RetryPolicy;
      fault?: FaultPolicy;
      /** The route's `hash_policy`, for consistent-hash clusters. */
      hashPolicy?: Obj[];
      /** Clusters a copy of the request goes to, each with the fraction of requests mirrored. */
      mirrors: readonly { cluster: string; fraction: number }[];
      request: HeaderMutation;
      response: HeaderMutation;
    };

/** Envoy's routing of one request; `random` decides weighted clusters (injectable for tests). */
export function decideRoute(
  routes: RouteTable,
  headers: HeaderValues,
  random: () => number = Math.random,
): RouteDecision {
  const vhost = routes.virtualHosts.lookup(headers.get(':authority') ?? '');
  if (!vhost) return { kind: 'no-route' };
  // Envoy's SSL redirect comes before any route: the same Host and path over https, 301.
  if (vhost.requireTls && headers.get(':scheme') !== 'https')
    return {
      kind: 'redirect',
      route: '',
      status: 301,
      location: `https://${headers.get(':authority') ?? ''}${headers.get(':path') ?? '/'}`,
      response: { set: [], remove: [] },
    };
  const route = selectRoute(vhost, headers);
  if (!route) return { kind: 'no-route', virtualHost: vhost.name };
  const name = route.name ?? '';
  const action = route.action;
  switch (action.kind) {
    case 'direct':
      return {
        kind: 'direct',
        route: name,
        status: action.status,
        ...(action.body === undefined ? {} : { body: action.body }),
        response: action.response,
      };
    case 'redirect':
      return {
        kind: 'redirect',
        route: name,
        status: action.redirect.status,
        location: redirectLocation(action.redirect, headers),
        response: action.response,
      };
    case 'unresolved':
      return { kind: 'no-route', virtualHost: vhost.name };
  }
  const chosen = action.clusters.pick(random);
  if (!chosen?.name) return { kind: 'no-route', virtualHost: vhost.name };
  // Istio puts a destination's `:authority` header on its weighted cluster; a route-level rewrite wins.
  const authority = action.hostRewrite ?? chosen.hostRewrite;
  return {
    kind: 'forward',
    route: name,
    virtualHost: vhost.name,
    cluster: chosen.name,
    path: action.rewritePath(headers.get(':path') ?? '/'),
    ...(authority ? { authority } : {}),
    timeoutMs: action.timeoutMs,
    ...(action.retry ? { retry: action.retry } : {}),
    ...(action.fault ? { fault: action.fault } : {}),
    ...(action.hashPolicy ? { hashPolicy: action.hashPolicy } : {}),
    mirrors: action.mirrors,
    request: chosen.request,
    response: chosen.response,
  };
}
