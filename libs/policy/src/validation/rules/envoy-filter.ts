import type { EnvoyConfigObjectPatch, EnvoyFilterSpec } from '../../api/networking/envoy-filter.js';
import type { FindingCollector } from '../collector.js';
import type { EnvoyPatchValueChecker } from '../envoy-patch-value.js';
import { field, item, nested } from '../../field-paths.js';
import { checkNetworkingSelector } from './common.js';
import { canonicalFilterName } from './envoy-filter-names.js';
import { checkRegex } from './primitives.js';

/**
 * EnvoyFilter rules (Istio's `pkg/config/validation/envoyfilter` `ValidateEnvoyFilter`). The schema has
 * already typed every field but the patch `value` (Envoy configuration of any version). The mesh stores
 * EnvoyFilters but does not apply them (a NOT_APPLIED warning); they are still checked so that a manifest
 * this mesh accepts is one Istio's webhook accepts too. `patch.value` is checked against Envoy's protos
 * by the checker the caller passes (libs/xds holds the protos; see envoy-patch-value.ts).
 */

type Match = NonNullable<EnvoyConfigObjectPatch['match']>;
type FilterChainMatch = NonNullable<NonNullable<Match['listener']>['filterChain']>;

const LISTENER_CLASS = new Set(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER']);
const ROUTE_CLASS = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);
/**
 * The match objects, one of which a match may set. `waypoint` (context WAYPOINT) matches a waypoint's
 * filters and clusters, so it fits every applyTo class.
 */
const OBJECT_TYPES = ['listener', 'routeConfiguration', 'cluster', 'waypoint'] as const;
const HTTP_CONNECTION_MANAGER = new Set([
  'envoy.filters.network.http_connection_manager',
  'envoy.http_connection_manager',
]);

export function checkEnvoyFilter(
  spec: EnvoyFilterSpec,
  c: FindingCollector,
  checkPatchValue?: EnvoyPatchValueChecker,
): void {
  // The CRD's CEL rule: a patch set attaches by workload labels or by target references, not both.
  if (spec.workloadSelector !== undefined && spec.targetRefs !== undefined)
    c.error('TARGET_REF_INVALID', 'spec', 'only one of targetRefs or workloadSelector can be set');
  checkNetworkingSelector(spec.workloadSelector, 'spec.workloadSelector', c);
  spec.configPatches?.forEach((patch, i) =>
    checkConfigPatch(patch, item('spec.configPatches', i), c, checkPatchValue),
  );
}

function checkConfigPatch(
  configPatch: EnvoyConfigObjectPatch,
  path: string,
  c: FindingCollector,
  checkPatchValue: EnvoyPatchValueChecker | undefined,
): void {
  const invalid = (at: string, message: string) =>
    c.error('ENVOY_FILTER_INVALID', at, `Envoy filter: ${message}`);
  const { applyTo, match, patch } = configPatch;
  if (match !== undefined) checkWaypointMatch(match, field(path, 'match'), c);
  if (applyTo === undefined || applyTo === 'INVALID')
    return invalid(field(path, 'applyTo'), 'missing applyTo');
  if (patch === undefined) return invalid(field(path, 'patch'), 'missing patch');
  const { operation } = patch;
  if (operation === undefined || operation === 'INVALID')
    return invalid(nested(path, 'patch.operation'), 'missing patch operation');
  if (operation !== 'REMOVE' && patch.value === undefined)
    return invalid(nested(path, 'patch.value'), 'missing patch value for non-remove operation');
  const proxyVersion = match?.proxy?.proxyVersion;
  if (proxyVersion !== undefined && proxyVersion !== '') {
    const problem = checkRegex(proxyVersion);
    if (problem !== undefined)
      return invalid(
        nested(path, 'match.proxy.proxyVersion'),
        `invalid regex for proxy version, [${problem}]`,
      );
  }
  if (match !== undefined) checkMatchObject(applyTo, match, field(path, 'match'), c);
  if (patch.value !== undefined && checkPatchValue !== undefined)
    checkValue(checkPatchValue(applyTo, patch.value), nested(path, 'patch.value'), c);
}

/** Reports the checker's problems at their field paths inside `patch.value`. */
function checkValue(problems: ReturnType<EnvoyPatchValueChecker>, path: string, c: FindingCollector): void {
  for (const problem of problems) {
    const at = problem.path.reduce<string>(
      (p, key) => (typeof key === 'number' ? item(p, key) : field(p, key)),
      path,
    );
    const report = problem.level === 'Error' ? c.error.bind(c) : c.warning.bind(c);
    report('ENVOY_FILTER_INVALID', at, `Envoy filter: ${problem.message}`);
  }
}

/**
 * The CRD's CEL rules on `match`: a waypoint match goes with context WAYPOINT and the other match objects
 * with the other contexts; a waypoint's port is a port number.
 */
function checkWaypointMatch(match: Match, path: string, c: FindingCollector): void {
  const waypointContext = match.context === 'WAYPOINT';
  const otherObject = OBJECT_TYPES.some((name) => name !== 'waypoint' && match[name] !== undefined);
  if (match.waypoint !== undefined ? !waypointContext : waypointContext && otherObject)
    c.error('ENVOY_FILTER_INVALID', path, 'only support waypointMatch when context is WAYPOINT');
  const port = match.waypoint?.portNumber;
  if (port !== undefined && (port < 1 || port > 65535))
    c.error('ENVOY_FILTER_INVALID', nested(path, 'waypoint.portNumber'), 'port must be between 1-65535');
}

/** `applyTo` and the match object must name the same class of Envoy object. */
function checkMatchObject(applyTo: string, match: Match, path: string, c: FindingCollector): void {
  const invalid = (at: string, message: string) =>
    c.error('ENVOY_FILTER_INVALID', at, `Envoy filter: ${message}`);
  const objectType = OBJECT_TYPES.find((name) => match[name] !== undefined);
  if (objectType === undefined || objectType === 'waypoint') return;
  if (LISTENER_CLASS.has(applyTo)) {
    if (objectType !== 'listener')
      return invalid(path, 'applyTo for listener class objects cannot have non listener match');
    const filterChain = match.listener?.filterChain;
    if (filterChain !== undefined)
      checkFilterMatch(applyTo, filterChain, nested(path, 'listener.filterChain'), c);
  } else if (ROUTE_CLASS.has(applyTo) && objectType !== 'routeConfiguration') {
    invalid(path, 'applyTo for http route class objects cannot have non route configuration match');
  } else if (applyTo === 'CLUSTER' && objectType !== 'cluster') {
    invalid(path, 'applyTo for cluster class objects cannot have non cluster match');
  }
}

function checkFilterMatch(
  applyTo: string,
  filterChain: FilterChainMatch,
  path: string,
  c: FindingCollector,
): void {
  const { filter } = filterChain;
  if (filter === undefined) return;
  const at = field(path, 'filter');
  if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN')
    c.warning(
      'ENVOY_FILTER_INVALID',
      at,
      `Envoy filter: filter match has no effect when used with ${applyTo}`,
    );
  const name = filter.name ?? '';
  if (name === '')
    return c.error('ENVOY_FILTER_INVALID', at, 'Envoy filter: filter match has no name to match on');
  const { subFilter } = filter;
  const sub = field(at, 'subFilter');
  if (subFilter !== undefined) {
    if (applyTo !== 'HTTP_FILTER')
      return c.error(
        'ENVOY_FILTER_INVALID',
        sub,
        'Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only',
      );
    if (!HTTP_CONNECTION_MANAGER.has(name))
      return c.error(
        'ENVOY_FILTER_INVALID',
        sub,
        'Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager',
      );
    if ((subFilter.name ?? '') === '')
      return c.error('ENVOY_FILTER_INVALID', sub, 'Envoy filter: subfilter match has no name to match on');
  }
  warnDeprecatedName(name, 'filter', field(at, 'name'), c);
  warnDeprecatedName(subFilter?.name ?? '', 'subFilter', field(sub, 'name'), c);
}

function warnDeprecatedName(
  name: string,
  level: 'filter' | 'subFilter',
  path: string,
  c: FindingCollector,
): void {
  const canonical = canonicalFilterName(name, level);
  if (canonical !== undefined)
    c.warning(
      'ENVOY_FILTER_INVALID',
      path,
      `using deprecated filter name "${name}"; use "${canonical}" instead`,
    );
}
