import type {
  HTTPDirectResponse,
  HTTPMatchRequest,
  HTTPRedirect,
  HTTPRoute,
  VirtualService,
} from '@mesh/policy';

import { parseOutboundClusterName } from '../../resource-names.js';
import type { SidecarProxy } from '../sidecar-context.js';
import { KNOWN_FILTERS } from '../../../envoy/known-filters.js';
import { corsConfig } from './cors.js';
import { configMetadata, type Obj } from './envoy-values.js';
import { faultConfig } from './fault.js';
import { headerFields, headerOperations } from './headers.js';
import { routeAction, type RouteScope } from './route-action.js';
import { isCatchAllMatch, sourceMatches, translateRouteMatch } from './route-match.js';
import { httpRulesWithDelegates } from './virtual-service-delegation.js';

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  0: 'MOVED_PERMANENTLY',
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/** Istio's `ApplyRedirect` for a sidecar (plain HTTP); undefined for a code Envoy cannot send. */
function redirectAction(redirect: HTTPRedirect, listenerPort: number): Obj | undefined {
  const code = REDIRECT_CODES[redirect.redirectCode ?? 0];
  if (code === undefined) return undefined;
  const out: Obj = {};
  if (redirect.authority) out['host_redirect'] = redirect.authority;
  if (redirect.uri) out['path_redirect'] = redirect.uri;
  if (redirect.scheme) out['scheme_redirect'] = redirect.scheme;
  // FROM_REQUEST_PORT: Envoy cannot derive it, but the route config is per port, so that port is it.
  let port = redirect.port ?? (redirect.derivePort === 'FROM_REQUEST_PORT' ? listenerPort : undefined);
  const scheme = redirect.scheme || 'http';
  if ((port === 80 && scheme === 'http') || (port === 443 && scheme === 'https')) port = undefined;
  if (port) out['port_redirect'] = port;
  out['response_code'] = code;
  return out;
}

function directResponseAction(direct: HTTPDirectResponse): Obj {
  const out: Obj = { status: direct.status };
  if (direct.body?.string !== undefined) out['body'] = { inline_string: direct.body.string };
  else if (direct.body?.bytes !== undefined) out['body'] = { inline_bytes: direct.body.bytes };
  return out;
}

/** Istio's `GetRouteOperation`: `<host>:<port><path>` for one cluster, else `<vs name>:<port><path>`. */
function routeOperation(route: Obj, vsName: string, listenerPort: number): string {
  const match = route['match'] as Obj;
  const regex = (match['safe_regex'] as { regex?: string } | undefined)?.regex;
  const path =
    match['prefix'] !== undefined
      ? `${String(match['prefix'])}*`
      : ((match['path'] as string | undefined) ?? regex ?? '/*');
  const cluster = parseOutboundClusterName(String((route['route'] as Obj | undefined)?.['cluster'] ?? ''));
  return cluster ? `${cluster.hostname}:${cluster.port}${path}` : `${vsName}:${listenerPort}${path}`;
}

/** Istio's `TranslateRoute`: one Envoy route for one (rule, match), or undefined when it does not apply. */
export function translateRoute(
  rule: HTTPRoute,
  match: HTTPMatchRequest | undefined,
  vs: VirtualService,
  scope: RouteScope,
  proxy: SidecarProxy,
): Obj | undefined {
  if (match?.port !== undefined && match.port !== 0 && match.port !== scope.listenerPort) return undefined;
  const gateway =
    scope.gateway === undefined ? undefined : { key: scope.gateway, vsNamespace: scope.namespace };
  if (!sourceMatches(match, proxy, gateway)) return undefined;
  const name = match?.name ? `${rule.name ?? ''}.${match.name}` : rule.name;
  const out: Obj = {};
  if (name) out['name'] = name;
  out['match'] = translateRouteMatch(match);
  const ops = headerOperations(rule.headers);
  const headers = headerFields(ops);
  if (rule.redirect) {
    const redirect = redirectAction(rule.redirect, scope.listenerPort);
    if (!redirect) return undefined;
    out['redirect'] = redirect;
  } else if (rule.directResponse) {
    out['direct_response'] = directResponseAction(rule.directResponse);
  } else if ((rule.route ?? []).length > 0) {
    out['route'] = routeAction(rule, scope, ops.authority, headers);
  } else {
    return undefined; // nothing to do (a `delegate` rule is merged away by httpRulesWithDelegates)
  }
  out['metadata'] = configMetadata('virtual-service', scope.namespace, vs.metadata.name ?? '');
  out['decorator'] = { operation: routeOperation(out, vs.metadata.name ?? '', scope.listenerPort) };
  if (match?.statPrefix) out['stat_prefix'] = match.statPrefix;
  Object.assign(out, headers);
  // Per-route configs of the outbound HCM's fault and CORS filters (Istio's `TypedPerFilterConfig`). A
  // gRPC client runs no CORS filter and rejects the whole route configuration over a config it has no
  // filter for, so it gets none.
  const fault = faultConfig(rule.fault);
  const cors = scope.proxylessGrpc ? undefined : corsConfig(rule.corsPolicy);
  if (fault || cors)
    out['typed_per_filter_config'] = {
      ...(fault ? { [KNOWN_FILTERS.fault.name]: fault } : {}),
      ...(cors ? { [KNOWN_FILTERS.cors.name]: cors } : {}),
    };
  return out;
}

/**
 * Istio's `BuildHTTPRoutesForVirtualService` for a sidecar or a gateway: rules in order (delegates
 * merged in), one route per applicable match, stopping after the first catch-all (nothing after it
 * could match).
 */
export function virtualServiceRoutes(vs: VirtualService, scope: RouteScope, proxy: SidecarProxy): Obj[] {
  const routes: Obj[] = [];
  for (const rule of httpRulesWithDelegates(vs, scope.namespace, scope.snapshot)) {
    const matches = rule.match && rule.match.length > 0 ? rule.match : [undefined];
    let catchAll = matches[0] === undefined;
    for (const match of matches) {
      const route = translateRoute(rule, match, vs, scope, proxy);
      if (!route) continue;
      routes.push(route);
      if (isCatchAllMatch(route['match'] as Obj)) {
        catchAll = true;
        break;
      }
    }
    if (catchAll) break;
  }
  return routes;
}
