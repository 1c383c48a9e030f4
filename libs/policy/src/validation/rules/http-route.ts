import type { Headers } from '../../api/common.js';
import type { HTTPRewrite, HTTPRoute } from '../../api/networking/http-route.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { checkGatewayNames, checkLabels } from './common.js';
import {
  checkDestination,
  checkHeaderOperations,
  checkMatchHeaderName,
  checkRouteDestinations,
  checkStringMatch,
} from './destinations.js';
import {
  checkCors,
  checkDirectResponse,
  checkFault,
  checkRedirect,
  checkRetries,
  checkRewrite,
} from './http-policies.js';
import { checkDuration, checkPort, isDns1123Label } from './primitives.js';

/** Rules for one `HTTPRoute` (Istio's `validateHTTPRoute`). `delegate` is true inside a delegate VirtualService. */
export function checkHttpRoute(route: HTTPRoute, path: string, delegate: boolean, c: FindingCollector): void {
  checkRouteKind(route, path, delegate, c);
  checkMatches(route, path, c);
  checkHeaderOperations(route.headers, field(path, 'headers'), c);
  checkAuthorityRewrite(route.rewrite, route.headers, path, c);
  if (route.corsPolicy !== undefined) checkCors(route.corsPolicy, field(path, 'corsPolicy'), c);
  if (route.fault !== undefined) checkFault(route.fault, field(path, 'fault'), c);
  for (const name of ['mirrorPercent', 'mirror_percent'] as const) {
    const value = route[name];
    if (value === undefined) continue;
    if (value > 100)
      c.error(
        'PERCENT_INVALID',
        field(path, name),
        `mirror_percent must have a max value of 100 (it has ${value})`,
      );
    c.warning(
      'DEPRECATED',
      field(path, name),
      'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead',
    );
  }
  if (route.mirrorPercentage?.value !== undefined) {
    const value = route.mirrorPercentage.value;
    if (value < 0 || value > 100)
      c.error(
        'PERCENT_INVALID',
        nested(path, 'mirrorPercentage.value'),
        `mirror_percentage must be in range 0..100 (it has ${value})`,
      );
  }
  if (route.mirror !== undefined) checkDestination(route.mirror, field(path, 'mirror'), c);
  route.mirrors?.forEach((mirror, i) => {
    const at = item(field(path, 'mirrors'), i);
    checkDestination(mirror.destination, field(at, 'destination'), c);
    const value = mirror.percentage?.value;
    if (value !== undefined && (value < 0 || value > 100)) {
      c.error(
        'PERCENT_INVALID',
        nested(at, 'percentage.value'),
        `mirror percentage must be in range 0..100 (it has ${value})`,
      );
    }
  });
  if (route.redirect !== undefined) checkRedirect(route.redirect, field(path, 'redirect'), c);
  if (route.directResponse !== undefined)
    checkDirectResponse(route.directResponse, field(path, 'directResponse'), c);
  if (route.retries !== undefined) checkRetries(route.retries, field(path, 'retries'), c);
  if (route.rewrite !== undefined) checkRewrite(route.rewrite, field(path, 'rewrite'), c);
  checkRouteDestinations(route.route ?? [], field(path, 'route'), c);
  // Each destination may manipulate headers too (Istio's validateHTTPRouteDestinations).
  route.route?.forEach((destination, i) =>
    checkHeaderOperations(destination.headers, field(item(field(path, 'route'), i), 'headers'), c),
  );
  if (route.timeout !== undefined)
    c.check('DURATION_INVALID', field(path, 'timeout'), checkDuration(route.timeout));
}

/**
 * What a rule does: forward (`route`), `redirect` or `directResponse` — exactly one. A rule with a
 * `delegate` (in a root VirtualService) hands its matches to another VirtualService and may not
 * route or redirect itself; a delegate VirtualService's rules cannot delegate again.
 */
function checkRouteKind(route: HTTPRoute, path: string, delegate: boolean, c: FindingCollector): void {
  const conflict = (message: string) => c.error('ROUTE_INVALID', path, message);
  if (route.delegate !== undefined && !delegate) {
    const label = route.name === undefined ? 'root HTTP route' : `root HTTP route ${route.name}`;
    if (route.redirect !== undefined) conflict(`${label} must not specify redirect`);
    if (route.route !== undefined) conflict(`${label} must not specify route`);
    return;
  }
  if (delegate && route.delegate !== undefined) conflict('delegate HTTP route cannot contain delegate');
  const forwards = (route.route?.length ?? 0) > 0;
  if (route.redirect !== undefined) {
    if (forwards) conflict('HTTP route cannot contain both route and redirect');
    if (route.fault !== undefined) conflict('HTTP route cannot contain both fault and redirect');
    if (route.rewrite !== undefined) conflict('HTTP route rule cannot contain both rewrite and redirect');
    if (route.directResponse !== undefined)
      conflict('HTTP route rule cannot contain both direct_response and redirect');
  } else if (route.directResponse !== undefined) {
    if (forwards) conflict('HTTP route cannot contain both route and direct_response');
    if (route.fault !== undefined) conflict('HTTP route cannot contain both fault and direct_response');
    if (route.rewrite !== undefined)
      conflict('HTTP route rule cannot contain both rewrite and direct_response');
  } else if (!forwards) {
    conflict('HTTP route, redirect or direct_response is required');
  }
  if (route.mirror !== undefined && (route.mirrors?.length ?? 0) > 0)
    conflict('HTTP route cannot contain both mirror and mirrors');
}

function checkMatches(route: HTTPRoute, path: string, c: FindingCollector): void {
  route.match?.forEach((match, i) => {
    const at = item(field(path, 'match'), i);
    for (const [mapName, allowWildcard] of [
      ['headers', false],
      ['withoutHeaders', true],
    ] as const) {
      for (const [name, value] of Object.entries(match[mapName] ?? {})) {
        const where = field(field(at, mapName), name);
        c.check('HEADER_INVALID', where, checkMatchHeaderName(name));
        // In `withoutHeaders`, regex `*` is not RE2: it means "header present".
        if (!(allowWildcard && value.regex === '*')) checkStringMatch(value, where, c);
      }
    }
    if (match.uri !== undefined) checkStringMatch(match.uri, field(at, 'uri'), c, true);
    for (const name of ['scheme', 'method', 'authority'] as const) {
      const value = match[name];
      if (value !== undefined) checkStringMatch(value, field(at, name), c);
    }
    for (const [name, value] of Object.entries(match.queryParams ?? {}))
      checkStringMatch(value, field(field(at, 'queryParams'), name), c);
    if (match.port !== undefined && match.port !== 0)
      c.check('PORT_INVALID', field(at, 'port'), checkPort(match.port));
    checkLabels(match.sourceLabels, field(at, 'sourceLabels'), c);
    checkGatewayNames(match.gateways, field(at, 'gateways'), c);
    if (
      match.sourceNamespace !== undefined &&
      match.sourceNamespace !== '' &&
      !isDns1123Label(match.sourceNamespace)
    ) {
      c.error(
        'ROUTE_INVALID',
        field(at, 'sourceNamespace'),
        `sourceNamespace match ${match.sourceNamespace} is invalid`,
      );
    }
  });
}

/** The authority may be rewritten in one place only: `rewrite.authority` or a request `Host`/`:authority` header. */
function checkAuthorityRewrite(
  rewrite: HTTPRewrite | undefined,
  headers: Headers | undefined,
  path: string,
  c: FindingCollector,
): void {
  let current = rewrite?.authority ?? '';
  for (const op of ['set', 'add'] as const) {
    for (const [name, value] of Object.entries(headers?.request?.[op] ?? {})) {
      if (!/^(:authority|host)$/i.test(name)) continue;
      if (current !== '') {
        c.error(
          'HEADER_INVALID',
          field(field(nested(path, 'headers.request'), op), name),
          `authority header cannot be set multiple times: have "${current}", attempting to set "${value}"`,
        );
      }
      current = value;
    }
  }
}
