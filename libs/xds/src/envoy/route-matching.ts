import {
  matchesHeader,
  matchesQueryParameter,
  pathWithoutQuery,
  regexOf,
  type EnvoyHeaderMatcher,
  type EnvoyStringMatcher,
  type HeaderValues,
} from './matchers.js';

/**
 * Envoy's HTTP route matching (`source/common/router/config_impl.cc`): the virtual host by Host, then
 * the first route whose match holds. Both are compiled once per route configuration: the domains into
 * an index searched in Envoy's order, each route's match into a predicate over the request headers.
 */

/**
 * The virtual hosts of a route configuration indexed by domain, in Envoy's order of preference: an
 * exact domain, then the longest `*suffix`, then the longest `prefix*`, then `*`. Among equally good
 * domains the first one configured wins. Hosts compare case-insensitively, port included as sent.
 */
export class DomainIndex<T> {
  readonly #exact = new Map<string, T>();
  readonly #suffixes: { suffix: string; value: T }[] = [];
  readonly #prefixes: { prefix: string; value: T }[] = [];
  #any: T | undefined;

  constructor(entries: Iterable<{ domains: readonly string[]; value: T }>) {
    for (const { domains, value } of entries)
      for (const domain of domains) {
        const pattern = domain.toLowerCase();
        if (!this.#exact.has(pattern)) this.#exact.set(pattern, value);
        if (pattern === '*') this.#any ??= value;
        else if (pattern.startsWith('*')) this.#suffixes.push({ suffix: pattern.slice(1), value });
        else if (pattern.endsWith('*')) this.#prefixes.push({ prefix: pattern.slice(0, -1), value });
      }
    // Stable sorts: longer fixed parts first, configuration order among equals.
    this.#suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
    this.#prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  lookup(host: string): T | undefined {
    const wanted = host.toLowerCase();
    const exact = this.#exact.get(wanted);
    if (exact !== undefined) return exact;
    // A wildcard must stand for at least one character.
    for (const { suffix, value } of this.#suffixes)
      if (wanted.length > suffix.length && wanted.endsWith(suffix)) return value;
    for (const { prefix, value } of this.#prefixes)
      if (wanted.length > prefix.length && wanted.startsWith(prefix)) return value;
    return this.#any;
  }
}

/** `envoy.config.route.v3.RouteMatch`, the parts Istio generates. */
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

/** A test of the path without query and fragment. */
function pathPredicate(match: RouteMatch): (path: string) => boolean {
  // The regex ignores case_sensitive, as in Envoy.
  if (match.safe_regex !== undefined) {
    const regex = regexOf(match.safe_regex);
    return (path) => regex.test(path);
  }
  const fold = match.case_sensitive?.value === false;
  const norm = fold ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (match.path !== undefined) {
    const exact = norm(match.path);
    return (path) => norm(path) === exact;
  }
  if (match.prefix !== undefined) {
    const prefix = norm(match.prefix);
    return (path) => norm(path).startsWith(prefix);
  }
  if (match.path_separated_prefix !== undefined) {
    const prefix = norm(match.path_separated_prefix);
    return (path) => {
      const p = norm(path);
      return p === prefix || p.startsWith(`${prefix}/`);
    };
  }
  return () => false;
}

/** A route's match as a predicate over the request headers (`:path`, `:method`, ...). */
export function compileRouteMatch(raw: Record<string, unknown>): (headers: HeaderValues) => boolean {
  const match = raw as RouteMatch;
  const pathMatches = pathPredicate(match);
  const grpc = match.grpc !== undefined;
  const headers = match.headers ?? [];
  const queryParameters = match.query_parameters ?? [];
  return (request) => {
    const fullPath = request.get(':path') ?? '/';
    if (!pathMatches(pathWithoutQuery(fullPath))) return false;
    if (grpc && !(request.get('content-type') ?? '').startsWith('application/grpc')) return false;
    if (!headers.every((h) => matchesHeader(h, request))) return false;
    if (queryParameters.length === 0) return true;
    const q = fullPath.indexOf('?');
    const query = q < 0 ? '' : (fullPath.slice(q + 1).split('#')[0] ?? '');
    return queryParameters.every((p) => matchesQueryParameter(p, query));
  };
}
