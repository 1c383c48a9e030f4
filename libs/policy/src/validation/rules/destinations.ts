import type { Destination, Headers, StringMatch } from '../../api/common.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { checkHeaderValueSyntax } from './header-value.js';
import { checkWildcardDomain } from './hosts.js';
import { checkPort, checkRegex, isDns1123Label } from './primitives.js';

/** Destinations, route weights, header manipulation and string matches (VirtualService and Sidecar). */

export function checkSubsetName(name: string): string | undefined {
  if (name === '') return 'subset name cannot be empty';
  return isDns1123Label(name) ? undefined : `subset name is invalid: ${name}`;
}

export function checkDestination(destination: Destination, path: string, c: FindingCollector): void {
  const host = field(path, 'host');
  if (destination.host === '*')
    c.error('DESTINATION_INVALID', host, `invalid destination host ${destination.host}`);
  else c.check('HOST_INVALID', host, checkWildcardDomain(destination.host));
  if (destination.subset !== undefined)
    c.check('DESTINATION_INVALID', field(path, 'subset'), checkSubsetName(destination.subset));
  if (destination.port !== undefined)
    c.check('PORT_INVALID', nested(path, 'port.number'), checkPort(destination.port.number ?? 0));
}

interface WeightedDestination {
  destination: Destination;
  weight?: number;
}

/**
 * Route destinations and their weights, as Istio's webhook checks them (`validateWeight` and the
 * `total destination weight = 0` check of `pkg/config/validation`): no negative weight, and a split over
 * several destinations must give some destination a weight. Weights are relative shares (DESIGN.md §2):
 * a total other than 100 is valid, Envoy divides by the sum.
 */
export function checkRouteDestinations(
  routes: readonly WeightedDestination[],
  path: string,
  c: FindingCollector,
): void {
  let total = 0;
  routes.forEach((route, i) => {
    const at = item(path, i);
    checkDestination(route.destination, field(at, 'destination'), c);
    const weight = route.weight ?? 0;
    if (weight < 0) c.error('WEIGHT_INVALID', field(at, 'weight'), `weight ${weight} < 0`);
    total += weight;
  });
  if (routes.length > 1 && total === 0) c.error('WEIGHT_INVALID', path, 'total destination weight = 0');
}

/** RFC 7230 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
/** `@request.auth.claims.<name>` or `@request.auth.claims[<name>]` route on JWT claims (gateways only). */
const JWT_CLAIM_HEADER = /^@request\.auth\.claims(\.[^.[\]]+|(\[[^[\]]+\])+)/;

export function isJwtClaimHeader(name: string): boolean {
  return JWT_CLAIM_HEADER.test(name);
}

/** A header to match on: a token, a pseudo header, or a JWT claim reference. */
export function checkMatchHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (isJwtClaimHeader(name) || PSEUDO_HEADERS.has(name) || HEADER_NAME.test(name)) return undefined;
  return `header name ${name} is not a valid header name`;
}

/** Control characters Envoy rejects in header values (tab is allowed). */
function hasControlCharacter(value: string): boolean {
  return [...value].some((ch) => {
    const code = ch.charCodeAt(0);
    return (code < 0x20 && code !== 0x09) || code === 0x7f;
  });
}

/** Istio's `ValidateHTTPHeaderValue`: no control characters, and `%` as Envoy's header parser reads it. */
export function checkHeaderValue(value: string): string | undefined {
  if (hasControlCharacter(value)) return `header value configuration ${JSON.stringify(value)} is invalid`;
  const problem = checkHeaderValueSyntax(value);
  return problem === undefined
    ? undefined
    : `header value configuration ${JSON.stringify(value)} is invalid: ${problem}`;
}

/**
 * The name of a header to set, add or remove. Setting or adding `Host` / `:authority` on requests rewrites
 * the authority and is allowed; any other pseudo header, removing them, or touching responses' `Host` is not.
 */
function checkOperationName(name: string, allowAuthority: boolean): string | undefined {
  if (name === '') return 'header name cannot be empty';
  const isAuthority = /^(:authority|host)$/i.test(name);
  if (allowAuthority && isAuthority) return undefined;
  if (/^host$/i.test(name)) return `invalid header "${name}": cannot set Host header`;
  if (name.startsWith(':')) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}

/** Header manipulation (`headers.request` / `headers.response`: set, add, remove). */
export function checkHeaderOperations(headers: Headers | undefined, path: string, c: FindingCollector): void {
  for (const direction of ['request', 'response'] as const) {
    const ops = headers?.[direction];
    if (ops === undefined) continue;
    const at = field(path, direction);
    const allowAuthority = direction === 'request';
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of Object.entries(ops[op] ?? {})) {
        const where = field(field(at, op), name);
        c.check('HEADER_INVALID', where, checkOperationName(name, allowAuthority));
        c.check('HEADER_INVALID', where, checkHeaderValue(value));
      }
    }
    (ops.remove ?? []).forEach((name, i) =>
      c.check('HEADER_INVALID', item(field(at, 'remove'), i), checkOperationName(name, false)),
    );
  }
}

/**
 * A `StringMatch`: a prefix must not be empty (except on `uri`, where Envoy allows it) and a regex must
 * be non-empty valid RE2.
 */
export function checkStringMatch(
  match: StringMatch,
  path: string,
  c: FindingCollector,
  allowEmptyPrefix = false,
): void {
  if (match.prefix === '' && !allowEmptyPrefix)
    c.error('ROUTE_INVALID', field(path, 'prefix'), 'prefix string match should not be empty');
  if (match.regex !== undefined) {
    const at = field(path, 'regex');
    if (match.regex === '') c.error('REGEX_INVALID', at, 'regex string match should not be empty');
    else c.check('REGEX_INVALID', at, checkRegex(match.regex));
  }
}
