import type { HTTPMatchRequest, StringMatch } from '@mesh/policy';
import { labelsMatch } from '@mesh/registry';

import { MESH_GATEWAY, resolveGatewayName } from '../../gateway/gateway-binding.js';
import type { SidecarProxy } from '../sidecar-context.js';
import type { Obj } from './envoy-values.js';

export { MESH_GATEWAY };

/**
 * Whether a match condition applies to this proxy (Istio's `sourceMatchHTTP`): match-level `gateways`
 * replace the source checks and must name `mesh` (a sidecar) or the gateway being built (its
 * `<namespace>/<name>`, entries resolved in the VirtualService's namespace); otherwise `sourceLabels`
 * must be a subset of the proxy's labels and `sourceNamespace` its namespace.
 */
export function sourceMatches(
  match: HTTPMatchRequest | undefined,
  proxy: SidecarProxy,
  gateway?: { key: string; vsNamespace: string },
): boolean {
  if (!match) return true;
  if (match.gateways && match.gateways.length > 0)
    return gateway
      ? match.gateways.some((g) => resolveGatewayName(g, gateway.vsNamespace) === gateway.key)
      : match.gateways.includes(MESH_GATEWAY);
  if (!labelsMatch(match.sourceLabels ?? {}, proxy.labels)) return false;
  return !match.sourceNamespace || match.sourceNamespace === proxy.namespace;
}

/** Istio StringMatch → Envoy StringMatcher (Istio's `util.ConvertToEnvoyMatch`). */
export function stringMatcher(match: StringMatch): Obj | undefined {
  if (match.exact !== undefined) return { exact: match.exact };
  if (match.prefix !== undefined) return { prefix: match.prefix };
  if (match.regex !== undefined) return { safe_regex: { regex: match.regex } };
  return undefined;
}

/** An empty match, or the regex `*` (not RE2: Istio reads it as "present"), becomes `present_match`. */
function isPresentMatch(match: StringMatch | undefined): boolean {
  if (!match) return true;
  if (match.regex !== undefined) return match.regex === '*';
  return match.exact === undefined && match.prefix === undefined;
}

function headerMatcher(name: string, match: StringMatch | undefined): Obj {
  if (isPresentMatch(match)) return { name, present_match: true };
  return { name, string_match: stringMatcher(match as StringMatch) };
}

function byName(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * Istio's `TranslateRouteMatch`: headers and withoutHeaders sorted by name, then `:method`,
 * `:authority` and `:scheme`; the URI as path/prefix/safe_regex; case sensitivity always explicit.
 */
export function translateRouteMatch(match: HTTPMatchRequest | undefined): Obj {
  if (!match) return { prefix: '/' };
  const out: Obj = {};
  const uri = match.uri;
  if (uri?.exact !== undefined) out['path'] = uri.exact;
  else if (uri?.regex !== undefined) out['safe_regex'] = { regex: uri.regex };
  else out['prefix'] = uri?.prefix ?? '/';
  out['case_sensitive'] = { value: !match.ignoreUriCase };

  const headers: Obj[] = [];
  for (const [name, value] of Object.entries(match.headers ?? {})) headers.push(headerMatcher(name, value));
  for (const [name, value] of Object.entries(match.withoutHeaders ?? {})) {
    const inverted: Obj = { ...headerMatcher(name, value), invert_match: true };
    // treat_missing_header_as_empty conflicts with present_match.
    if (!isPresentMatch(value)) inverted['treat_missing_header_as_empty'] = true;
    headers.push(inverted);
  }
  headers.sort((a, b) => byName([a['name'] as string, a], [b['name'] as string, b]));
  if (match.method) headers.push(headerMatcher(':method', match.method));
  if (match.authority) headers.push(headerMatcher(':authority', match.authority));
  if (match.scheme) headers.push(headerMatcher(':scheme', match.scheme));
  if (headers.length > 0) out['headers'] = headers;

  const queryParameters = Object.entries(match.queryParams ?? {})
    .sort(byName)
    .map(([name, value]) => headerMatcher(name, value));
  if (queryParameters.length > 0) out['query_parameters'] = queryParameters;
  return out;
}

/** Istio's `IsCatchAllRoute`: `/` prefix (or `.*` regex) with no header or query conditions. */
export function isCatchAllMatch(match: Obj): boolean {
  const path =
    match['prefix'] === '/' || (match['safe_regex'] as { regex?: string } | undefined)?.regex === '.*';
  return path && match['headers'] === undefined && match['query_parameters'] === undefined;
}
