import type { RouteConfiguration } from '../generated/envoy/config/route/v3/RouteConfiguration.js';
import { TypeUrl } from '../type-urls.js';
import {
  checkDuration,
  checkRegex,
  checkStringMatcher,
  type CanonicalDuration,
  type CanonicalStringMatcher,
} from './common-checks.js';
import { defineResourceType } from './resource-type.js';
import { checkUniqueNames, IssueCollector, type ValidationIssue } from './validation.js';

export type { RouteConfiguration };

type Obj = Record<string, unknown>;

const PATH_SPECIFIERS = [
  'prefix',
  'path',
  'safe_regex',
  'connect_matcher',
  'path_separated_prefix',
  'path_match_policy',
];
const ACTIONS = ['route', 'redirect', 'direct_response', 'filter_action', 'non_forwarding_action'];
const CLUSTER_SPECIFIERS = [
  'cluster',
  'cluster_header',
  'weighted_clusters',
  'cluster_specifier_plugin',
  'inline_cluster_specifier_plugin',
];

function present(obj: Obj, keys: readonly string[]): string[] {
  return keys.filter((k) => obj[k] !== undefined && obj[k] !== null);
}

function checkHeaderMatcher(at: IssueCollector, h: Obj): void {
  at.field('name').requireString(h['name'] as string | undefined, 'header name is required');
  if (h['safe_regex_match'])
    checkRegex(at.field('safe_regex_match.regex'), (h['safe_regex_match'] as Obj)['regex'] as string);
  if (h['string_match'])
    checkStringMatcher(at.field('string_match'), h['string_match'] as CanonicalStringMatcher);
  const range = h['range_match'] as { start?: string; end?: string } | undefined;
  if (range && Number(range.start ?? 0) >= Number(range.end ?? 0))
    at.field('range_match').add('start must be less than end');
}

function checkMatch(at: IssueCollector, match: Obj | undefined): void {
  if (!match) {
    at.add('match is required');
    return;
  }
  const specifiers = present(match, PATH_SPECIFIERS);
  if (
    !at.check(
      specifiers.length === 1,
      `exactly one path specifier (${PATH_SPECIFIERS.slice(0, 3).join(', ')}, ...) is required`,
    )
  )
    return;
  if (match['path'] !== undefined)
    at.field('path').check(String(match['path']).startsWith('/'), 'path must start with "/"');
  if (match['safe_regex'])
    checkRegex(at.field('safe_regex.regex'), (match['safe_regex'] as Obj)['regex'] as string);
  ((match['headers'] as Obj[] | undefined) ?? []).forEach((h, i) =>
    checkHeaderMatcher(at.field('headers').named(h['name'] as string, i), h),
  );
  ((match['query_parameters'] as Obj[] | undefined) ?? []).forEach((q, i) => {
    const qa = at.field('query_parameters').named(q['name'] as string, i);
    qa.field('name').requireString(q['name'] as string | undefined, 'query parameter name is required');
    if (q['string_match'])
      checkStringMatcher(qa.field('string_match'), q['string_match'] as CanonicalStringMatcher);
  });
}

function checkWeightedClusters(at: IssueCollector, wc: Obj): void {
  const clusters = (wc['clusters'] as Obj[] | undefined) ?? [];
  if (!at.field('clusters').check(clusters.length > 0, 'at least one weighted cluster is required')) return;
  let total = 0;
  clusters.forEach((c, i) => {
    const ca = at.field('clusters').named(c['name'] as string, i);
    const named = c['name'] !== undefined || c['cluster_header'] !== undefined;
    ca.check(named, 'name or cluster_header is required');
    const weight = (c['weight'] as { value?: number } | undefined)?.value ?? 0;
    total += weight;
  });
  at.check(total > 0, 'the sum of weights must be greater than zero');
}

function checkRouteAction(at: IssueCollector, action: Obj): void {
  const specifiers = present(action, CLUSTER_SPECIFIERS);
  if (
    at.check(
      specifiers.length === 1,
      'exactly one of cluster, cluster_header, weighted_clusters (or a plugin) is required',
    )
  ) {
    if (action['cluster'] !== undefined)
      at.field('cluster').requireString(action['cluster'] as string, 'cluster name must be non-empty');
    if (action['weighted_clusters'])
      checkWeightedClusters(at.field('weighted_clusters'), action['weighted_clusters'] as Obj);
  }
  checkDuration(at.field('timeout'), action['timeout'] as CanonicalDuration | undefined);
  checkDuration(at.field('idle_timeout'), action['idle_timeout'] as CanonicalDuration | undefined);
  const retry = action['retry_policy'] as Obj | undefined;
  if (retry)
    checkDuration(
      at.field('retry_policy.per_try_timeout'),
      retry['per_try_timeout'] as CanonicalDuration | undefined,
    );
  const rewrite = action['regex_rewrite'] as Obj | undefined;
  if (rewrite)
    checkRegex(
      at.field('regex_rewrite.pattern.regex'),
      (rewrite['pattern'] as Obj | undefined)?.['regex'] as string,
    );
}

function checkRoute(at: IssueCollector, route: Obj): void {
  checkMatch(at.field('match'), route['match'] as Obj | undefined);
  const actions = present(route, ACTIONS);
  if (
    !at.check(actions.length === 1, 'exactly one action (route, redirect, direct_response, ...) is required')
  )
    return;
  if (route['route']) checkRouteAction(at.field('route'), route['route'] as Obj);
  const direct = route['direct_response'] as Obj | undefined;
  if (direct) {
    const status = Number(direct['status'] ?? 0);
    at.field('direct_response.status').check(
      status >= 200 && status < 600,
      `status ${status} must be in [200, 600)`,
    );
  }
}

/** Checks one virtual host; used by RouteConfiguration and by inline route configs of listeners. */
function checkVirtualHost(at: IssueCollector, vh: Obj): void {
  at.field('name').requireString(vh['name'] as string | undefined, 'virtual host name is required');
  const domains = (vh['domains'] as string[] | undefined) ?? [];
  at.field('domains').check(domains.length > 0, 'at least one domain is required');
  ((vh['routes'] as Obj[] | undefined) ?? []).forEach((r, i) =>
    checkRoute(at.field('routes').named(r['name'] as string, i), r),
  );
}

/** Validates a route configuration into `at` (shared by RDS and listeners with an inline route_config). */
export function checkRouteConfiguration(
  at: IssueCollector,
  rc: RouteConfiguration,
  opts: { requireName: boolean },
): void {
  if (opts.requireName) at.field('name').requireString(rc.name, 'route configuration name is required');
  const vhosts = (rc.virtual_hosts ?? []) as Obj[];
  checkUniqueNames(at.field('virtual_hosts'), vhosts as { name?: string }[], 'virtual host');
  const domainOwner = new Map<string, string>();
  vhosts.forEach((vh, i) => {
    const vha = at.field('virtual_hosts').named(vh['name'] as string, i);
    checkVirtualHost(vha, vh);
    for (const domain of (vh['domains'] as string[] | undefined) ?? []) {
      const owner = domainOwner.get(domain.toLowerCase());
      if (owner !== undefined)
        vha.field('domains').add(`domain "${domain}" is also used by virtual host "${owner}"`);
      else domainOwner.set(domain.toLowerCase(), String(vh['name'] ?? i));
    }
  });
}

export const RouteConfigurationType = defineResourceType<RouteConfiguration>({
  typeUrl: TypeUrl.RouteConfiguration,
  sotwFullState: false,
  nameOf: (rc) => rc.name ?? '',
  validate(rc): ValidationIssue[] {
    const at = new IssueCollector();
    checkRouteConfiguration(at, rc, { requireName: true });
    return at.issues;
  },
});
