import {
  re2ToRegExp,
  selectRoute,
  selectVirtualHost,
  type EnvoyRoute,
  type EnvoyRouteConfiguration,
  type HeaderValues,
} from '@mesh/xds';

import { durationMs } from '../xds/envoy-duration.js';

/**
 * What Envoy's router decides for one request, as a pure function of the route configuration and
 * the request headers: a direct response, a redirect, or a forward to a cluster with the request and
 * response header changes, path and host rewrites, timeout, retries and fault the route carries.
 */

type Obj = Record<string, unknown>;

export interface HeaderMutation {
  set: { key: string; value: string; append: boolean }[];
  remove: string[];
}

export interface RetryPolicy {
  retryOn: Set<string>;
  numRetries: number;
  retriableStatusCodes: Set<number>;
  perTryTimeoutMs?: number;
}

export interface FaultPolicy {
  delayMs?: number;
  delayFraction: number;
  abortStatus?: number;
  abortGrpcStatus?: number;
  abortFraction: number;
}

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
      mirrors: { cluster: string; fraction: number }[];
      request: HeaderMutation;
      response: HeaderMutation;
    };

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

function fraction(value: unknown): number {
  const p = value as { numerator?: number; denominator?: string } | undefined;
  if (!p) return 1;
  return (p.numerator ?? 0) / (DENOMINATORS[p.denominator ?? 'HUNDRED'] ?? 100);
}

function mutations(...levels: (Obj | undefined)[]): { request: HeaderMutation; response: HeaderMutation } {
  const collect = (addKey: string, removeKey: string): HeaderMutation => {
    const out: HeaderMutation = { set: [], remove: [] };
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
    return out;
  };
  return {
    request: collect('request_headers_to_add', 'request_headers_to_remove'),
    response: collect('response_headers_to_add', 'response_headers_to_remove'),
  };
}

function retryPolicy(value: unknown): RetryPolicy | undefined {
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

function faultPolicy(route: EnvoyRoute): FaultPolicy | undefined {
  const fault = (route as { typed_per_filter_config?: Record<string, Obj> }).typed_per_filter_config?.[
    'envoy.filters.http.fault'
  ];
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

function rewritePath(action: Obj, match: Obj, path: string): string {
  const q = path.indexOf('?');
  const [bare, query] = q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
  const prefixRewrite = action['prefix_rewrite'] as string | undefined;
  if (prefixRewrite !== undefined) {
    const prefix = (match['prefix'] ?? match['path'] ?? match['path_separated_prefix'] ?? '') as string;
    return prefixRewrite + bare.slice(prefix.length) + query;
  }
  const regexRewrite = action['regex_rewrite'] as
    { pattern: { regex: string }; substitution: string } | undefined;
  if (regexRewrite) {
    const anchored = re2ToRegExp(regexRewrite.pattern.regex); // validated (and translated) as RE2
    const global = new RegExp(anchored.source.slice(4, -2), `g${anchored.flags}`);
    return bare.replace(global, regexRewrite.substitution.replace(/\\(\d)/g, '$$$1')) + query;
  }
  return path;
}

/** Envoy's `Http::Utility::newUri`. */
function redirectLocation(redirect: Obj, headers: HeaderValues): string {
  const requestScheme = headers.get(':scheme') ?? 'http';
  const scheme =
    (redirect['scheme_redirect'] as string | undefined) ??
    (redirect['https_redirect'] === true ? 'https' : requestScheme);
  const authority = headers.get(':authority') ?? '';
  const port = redirect['port_redirect'] ? `:${String(redirect['port_redirect'])}` : '';
  // The request's port stays unless a port is given or the scheme changes away from its default port.
  const requestPort = /:\d+$/.exec(authority)?.[0];
  const defaultPort = requestScheme === 'https' ? ':443' : ':80';
  const keepPort = !port && !(scheme !== requestScheme && requestPort === defaultPort);
  const host =
    (redirect['host_redirect'] as string | undefined) ??
    (keepPort ? authority : authority.replace(/:\d+$/, ''));
  // A path_redirect without a query string keeps the request's.
  const requestPath = headers.get(':path') ?? '/';
  const query = requestPath.includes('?') ? requestPath.slice(requestPath.indexOf('?')) : '';
  const pathRedirect = redirect['path_redirect'] as string | undefined;
  const path =
    pathRedirect === undefined ? requestPath : pathRedirect + (pathRedirect.includes('?') ? '' : query);
  return `${scheme}://${host}${port}${path}`;
}

function pickWeighted(
  clusters: { name: string; weight?: { value: number }; [k: string]: unknown }[],
  random: () => number,
) {
  const total = clusters.reduce((sum, c) => sum + (c.weight?.value ?? 0), 0);
  let point = random() * total;
  for (const c of clusters) {
    point -= c.weight?.value ?? 0;
    if (point < 0) return c;
  }
  return clusters.at(-1);
}

/** Envoy's routing of one request; `random` decides weighted clusters (injectable for tests). */
export function decideRoute(
  config: EnvoyRouteConfiguration,
  headers: HeaderValues,
  random: () => number = Math.random,
): RouteDecision {
  const vhost = selectVirtualHost(config, headers.get(':authority') ?? '');
  if (!vhost) return { kind: 'no-route' };
  const route = selectRoute(vhost, headers);
  if (!route) return { kind: 'no-route', virtualHost: vhost.name };
  const name = route.name ?? '';
  const levels = [route, vhost, config] as unknown as Obj[];
  if (route.direct_response) {
    const body = route.direct_response.body?.inline_string;
    return {
      kind: 'direct',
      route: name,
      status: route.direct_response.status,
      ...(body === undefined ? {} : { body }),
      response: mutations(...levels).response,
    };
  }
  if (route.redirect) {
    const code = REDIRECT_CODES[String(route.redirect['response_code'] ?? 'MOVED_PERMANENTLY')] ?? 301;
    return {
      kind: 'redirect',
      route: name,
      status: code,
      location: redirectLocation(route.redirect, headers),
      response: mutations(...levels).response,
    };
  }
  const action = (route.route ?? {}) as Obj;
  const weighted = (
    action['weighted_clusters'] as { clusters?: { name: string; weight?: { value: number } }[] } | undefined
  )?.clusters;
  const chosen = weighted ? pickWeighted(weighted, random) : undefined;
  const cluster = (chosen?.name ?? action['cluster']) as string | undefined;
  if (!cluster) return { kind: 'no-route', virtualHost: vhost.name };
  const { request, response } = mutations(chosen as Obj | undefined, ...levels);
  const retry = retryPolicy(action['retry_policy'] ?? (vhost as unknown as Obj)['retry_policy']);
  const fault = faultPolicy(route);
  const hashPolicy = action['hash_policy'] as Obj[] | undefined;
  const mirrors = (
    (action['request_mirror_policies'] ?? []) as {
      cluster?: string;
      runtime_fraction?: { default_value?: unknown };
    }[]
  )
    .filter((m) => m.cluster)
    .map((m) => ({
      cluster: m.cluster as string,
      fraction: m.runtime_fraction ? fraction(m.runtime_fraction.default_value) : 1,
    }));
  // Istio puts a destination's `:authority` header on its weighted cluster; a route-level rewrite wins.
  const authority = (action['host_rewrite_literal'] ?? chosen?.['host_rewrite_literal']) as
    string | undefined;
  return {
    kind: 'forward',
    route: name,
    virtualHost: vhost.name,
    cluster,
    path: rewritePath(action, route.match, headers.get(':path') ?? '/'),
    ...(authority ? { authority } : {}),
    timeoutMs: durationMs(action['timeout']) ?? 15_000,
    ...(retry ? { retry } : {}),
    ...(fault ? { fault } : {}),
    ...(hashPolicy ? { hashPolicy } : {}),
    mirrors,
    request,
    response,
  };
}
