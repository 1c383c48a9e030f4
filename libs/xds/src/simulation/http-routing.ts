import {
  matchesHeader,
  matchesQueryParameter,
  pathWithoutQuery,
  regexOf,
  type EnvoyHeaderMatcher,
  type EnvoyStringMatcher,
  type HeaderValues,
} from './envoy-matchers.js';
import type { EnvoyRoute, EnvoyRouteConfiguration, EnvoyVirtualHost } from './simulation-types.js';

/**
 * Envoy's HTTP routing (`source/common/router/config_impl.cc`): the virtual host by Host, then the
 * first route whose match holds.
 */

/** How well a domain pattern matches a host: exact beats suffix wildcard beats prefix wildcard beats `*`. */
function domainScore(domain: string, host: string): number | undefined {
  const pattern = domain.toLowerCase();
  if (pattern === host) return 4e6;
  if (pattern === '*') return 0;
  // A wildcard must stand for at least one character; longer fixed parts win.
  if (pattern.startsWith('*') && host.length > pattern.length - 1 && host.endsWith(pattern.slice(1)))
    return 3e6 + pattern.length;
  if (pattern.endsWith('*') && host.length > pattern.length - 1 && host.startsWith(pattern.slice(0, -1)))
    return 2e6 + pattern.length;
  return undefined;
}

/** The virtual host Envoy picks for `host` (compared case-insensitively, port included as sent). */
export function selectVirtualHost(
  config: EnvoyRouteConfiguration,
  host: string,
): EnvoyVirtualHost | undefined {
  const wanted = host.toLowerCase();
  let best: { vhost: EnvoyVirtualHost; score: number } | undefined;
  for (const vhost of config.virtual_hosts ?? []) {
    for (const domain of vhost.domains) {
      const score = domainScore(domain, wanted);
      if (score !== undefined && (best === undefined || score > best.score)) best = { vhost, score };
    }
  }
  return best?.vhost;
}

interface RouteMatch {
  prefix?: string;
  path?: string;
  safe_regex?: { regex: string };
  path_separated_prefix?: string;
  case_sensitive?: { value: boolean };
  headers?: EnvoyHeaderMatcher[];
  query_parameters?: { name: string; string_match?: EnvoyStringMatcher; present_match?: boolean }[];
  grpc?: object;
}

function pathMatches(match: RouteMatch, fullPath: string): boolean {
  const path = pathWithoutQuery(fullPath);
  const fold = match.case_sensitive?.value === false;
  const norm = (s: string) => (fold ? s.toLowerCase() : s);
  // The regex ignores case_sensitive, as in Envoy.
  if (match.safe_regex !== undefined) return regexOf(match.safe_regex).test(path);
  if (match.path !== undefined) return norm(path) === norm(match.path);
  if (match.prefix !== undefined) return norm(path).startsWith(norm(match.prefix));
  if (match.path_separated_prefix !== undefined) {
    const prefix = norm(match.path_separated_prefix);
    const p = norm(path);
    return p === prefix || p.startsWith(`${prefix}/`);
  }
  return false;
}

/** Whether a route's match holds for a request given by its headers (`:path`, `:method`, ...). */
export function routeMatches(route: EnvoyRoute, headers: HeaderValues): boolean {
  const match = route.match as RouteMatch;
  const fullPath = headers.get(':path') ?? '/';
  if (!pathMatches(match, fullPath)) return false;
  if (match.grpc !== undefined && !(headers.get('content-type') ?? '').startsWith('application/grpc'))
    return false;
  if (!(match.headers ?? []).every((h) => matchesHeader(h, headers))) return false;
  const q = fullPath.indexOf('?');
  const query = q < 0 ? '' : (fullPath.slice(q + 1).split('#')[0] ?? '');
  return (match.query_parameters ?? []).every((p) => matchesQueryParameter(p, query));
}

export function selectRoute(vhost: EnvoyVirtualHost, headers: HeaderValues): EnvoyRoute | undefined {
  return (vhost.routes ?? []).find((route) => routeMatches(route, headers));
}

/** The clusters a route action may send to, with weights for weighted clusters. */
export function routeClusters(route: EnvoyRoute): { name: string; weight?: number }[] {
  const action = route.route as
    | { cluster?: string; weighted_clusters?: { clusters: { name: string; weight?: { value: number } }[] } }
    | undefined;
  if (action?.cluster !== undefined) return [{ name: action.cluster }];
  return (action?.weighted_clusters?.clusters ?? []).map((c) => ({
    name: c.name,
    weight: c.weight?.value ?? 0,
  }));
}
