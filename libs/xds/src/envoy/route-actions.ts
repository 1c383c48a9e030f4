import { durationMs } from './durations.js';
import { KNOWN_FILTERS } from './known-filters.js';
import { re2ToRegExp } from './matchers.js';

/**
 * The parts of a route's action Envoy's router acts on, read from the config once when it is
 * compiled: header changes, retries, fault injection, mirroring and rewrites. Every request routed
 * by the route shares these objects, so they are read-only.
 */

type Obj = Record<string, unknown>;

export interface HeaderMutation {
  readonly set: readonly { readonly key: string; readonly value: string; readonly append: boolean }[];
  readonly remove: readonly string[];
}

export interface RetryPolicy {
  readonly retryOn: ReadonlySet<string>;
  readonly numRetries: number;
  readonly retriableStatusCodes: ReadonlySet<number>;
  readonly perTryTimeoutMs?: number;
}

export interface FaultPolicy {
  readonly delayMs?: number;
  readonly delayFraction: number;
  readonly abortStatus?: number;
  readonly abortGrpcStatus?: number;
  readonly abortFraction: number;
}

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** A `FractionalPercent` as a fraction of requests; absent means all of them. */
export function fraction(value: unknown): number {
  const p = value as { numerator?: number; denominator?: string } | undefined;
  if (!p) return 1;
  return (p.numerator ?? 0) / (DENOMINATORS[p.denominator ?? 'HUNDRED'] ?? 100);
}

/** Most routes change no headers and mirror nothing: they share these rather than hold empty copies. */
const NO_MUTATION: HeaderMutation = Object.freeze({ set: Object.freeze([]), remove: Object.freeze([]) });
const NO_MIRRORS: readonly { cluster: string; fraction: number }[] = Object.freeze([]);

/**
 * The request and response header changes of the given levels, most specific first (weighted
 * cluster, route, virtual host, route configuration), as Envoy applies them.
 */
export function headerMutations(...levels: (Obj | undefined)[]): {
  request: HeaderMutation;
  response: HeaderMutation;
} {
  const collect = (addKey: string, removeKey: string): HeaderMutation => {
    const out = { set: [] as HeaderMutation['set'][number][], remove: [] as string[] };
    for (const level of levels) {
      if (!level) continue;
      for (const entry of (level[addKey] ?? []) as {
        header: { key: string; value: string };
        append_action?: string;
        append?: { value: boolean };
      }[])
        out.set.push({
          key: entry.header.key.toLowerCase(),
          value: entry.header.value,
          append: entry.append_action === 'APPEND_IF_EXISTS_OR_ADD' || entry.append?.value === true,
        });
      out.remove.push(...((level[removeKey] ?? []) as string[]).map((h) => h.toLowerCase()));
    }
    return out.set.length === 0 && out.remove.length === 0 ? NO_MUTATION : out;
  };
  return {
    request: collect('request_headers_to_add', 'request_headers_to_remove'),
    response: collect('response_headers_to_add', 'response_headers_to_remove'),
  };
}

/** A `RetryPolicy`; undefined without `retry_on` (no retries). */
export function retryPolicy(value: unknown): RetryPolicy | undefined {
  const r = value as
    | {
        retry_on?: string;
        num_retries?: { value: number };
        retriable_status_codes?: number[];
        per_try_timeout?: unknown;
      }
    | undefined;
  if (!r?.retry_on) return undefined;
  const perTry = durationMs(r.per_try_timeout);
  return {
    retryOn: new Set(r.retry_on.split(',').map((s) => s.trim())),
    numRetries: r.num_retries?.value ?? 1,
    retriableStatusCodes: new Set(r.retriable_status_codes ?? []),
    ...(perTry ? { perTryTimeoutMs: perTry } : {}),
  };
}

/** The route's `envoy.filters.http.fault` config (`typed_per_filter_config`), if it has one. */
export function faultPolicy(route: Obj): FaultPolicy | undefined {
  const perFilter = route['typed_per_filter_config'] as Record<string, Obj> | undefined;
  const fault = perFilter?.[KNOWN_FILTERS.fault.name];
  if (!fault) return undefined;
  const delay = fault['delay'] as { fixed_delay?: unknown; percentage?: unknown } | undefined;
  const abort = fault['abort'] as
    { http_status?: number; grpc_status?: number; percentage?: unknown } | undefined;
  const delayMs = durationMs(delay?.fixed_delay);
  return {
    ...(delayMs ? { delayMs } : {}),
    delayFraction: delay ? fraction(delay.percentage) : 0,
    ...(abort?.http_status ? { abortStatus: abort.http_status } : {}),
    ...(abort?.grpc_status !== undefined ? { abortGrpcStatus: abort.grpc_status } : {}),
    abortFraction: abort ? fraction(abort.percentage) : 0,
  };
}

/** Clusters a copy of the request goes to, each with the fraction of requests mirrored. */
export function mirrorPolicies(action: Obj): readonly { cluster: string; fraction: number }[] {
  const policies = action['request_mirror_policies'] as
    { cluster?: string; runtime_fraction?: { default_value?: unknown } }[] | undefined;
  if (policies === undefined) return NO_MIRRORS;
  return policies
    .filter((m) => m.cluster)
    .map((m) => ({
      cluster: m.cluster as string,
      fraction: m.runtime_fraction ? fraction(m.runtime_fraction.default_value) : 1,
    }));
}

/** How the router rewrites `:path` (the query string is kept). */
export type PathRewrite = (path: string) => string;

/** `prefix_rewrite` (of the matched prefix) or `regex_rewrite`, compiled; identity without either. */
export function pathRewrite(action: Obj, match: Obj): PathRewrite {
  const splitQuery = (path: string) => {
    const q = path.indexOf('?');
    return q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
  };
  const prefixRewrite = action['prefix_rewrite'] as string | undefined;
  if (prefixRewrite !== undefined) {
    const prefix = (match['prefix'] ?? match['path'] ?? match['path_separated_prefix'] ?? '') as string;
    return (path) => {
      const [bare = '', query = ''] = splitQuery(path);
      return prefixRewrite + bare.slice(prefix.length) + query;
    };
  }
  const regexRewrite = action['regex_rewrite'] as
    { pattern: { regex: string }; substitution: string } | undefined;
  if (regexRewrite) {
    const anchored = re2ToRegExp(regexRewrite.pattern.regex); // validated (and translated) as RE2
    const global = new RegExp(anchored.source.slice(4, -2), `g${anchored.flags}`);
    const substitution = regexRewrite.substitution.replace(/\\(\d)/g, '$$$1');
    return (path) => {
      const [bare = '', query = ''] = splitQuery(path);
      return bare.replace(global, substitution) + query;
    };
  }
  return (path) => path;
}
