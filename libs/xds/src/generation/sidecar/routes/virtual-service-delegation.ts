import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '@mesh/policy';
import { isExportedTo, resolveHost, type MeshSnapshot, type Namespaced } from '@mesh/registry';

import { MESH_GATEWAY, resolveGatewayName } from '../../gateway/gateway-binding.js';

/**
 * VirtualService delegation, as istiod merges it before building any route
 * (`pilot/pkg/model/virtualservice.go` `mergeVirtualServicesIfNeeded`): a root VirtualService's
 * `http[].delegate {name, namespace}` is replaced by the rules of the delegate — a VirtualService without
 * hosts, exported to the root's namespace — each under the root rule's match (a delegate match must be
 * a subset of a root match, or that delegate rule is dropped) and inheriting what it leaves unset.
 * Sidecar and gateway routes both read rules through `httpRulesWithDelegates`.
 */

type Delegates = Map<string, Namespaced<VirtualService>>;

/** Per snapshot (views share the array): the VirtualServices without hosts, by `<namespace>/<name>`. */
const delegateIndexes = new WeakMap<readonly Namespaced<VirtualService>[], Delegates>();

function delegatesOf(snapshot: MeshSnapshot): Delegates {
  let index = delegateIndexes.get(snapshot.allVirtualServices);
  if (!index) {
    index = new Map();
    for (const entry of snapshot.allVirtualServices)
      if ((entry.config.spec.hosts ?? []).length === 0)
        index.set(`${entry.namespace}/${entry.config.metadata.name ?? ''}`, entry);
    delegateIndexes.set(snapshot.allVirtualServices, index);
  }
  return index;
}

/** Istio's `stringMatchConflict`: whether a delegate condition cannot be a subset of the root's. */
function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (!root || !leaf) return false;
  if (root.regex) return Boolean(leaf.regex || leaf.prefix || leaf.exact);
  if (leaf.regex) return Boolean(root.prefix || root.exact);
  if (root.exact) return Boolean(leaf.prefix) || leaf.exact !== root.exact;
  if (root.prefix) {
    const path = leaf.prefix || leaf.exact;
    if (path) return !path.startsWith(root.prefix);
  }
  return true;
}

function mapConflict(
  root: Readonly<Record<string, StringMatch>> | undefined,
  leaf: Readonly<Record<string, StringMatch>> | undefined,
): boolean {
  return Object.entries(leaf ?? {}).some(([key, value]) => stringMatchConflict(root?.[key], value));
}

/** Istio's `hasConflict` between a root match and a delegate match. */
function hasConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  const fields = ['uri', 'scheme', 'method', 'authority'] as const;
  if (fields.some((f) => stringMatchConflict(root[f], leaf[f]))) return true;
  if (mapConflict(root.headers, leaf.headers)) return true;
  if (mapConflict(root.withoutHeaders, leaf.withoutHeaders)) return true;
  if (mapConflict(root.queryParams, leaf.queryParams)) return true;
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [key, value] of Object.entries(leaf.sourceLabels ?? {}))
    if (root.sourceLabels?.[key] !== undefined && root.sourceLabels[key] !== value) return true;
  const rootGateways = root.gateways ?? [];
  const leafGateways = leaf.gateways ?? [];
  return (
    rootGateways.length > 0 && leafGateways.length > 0 && leafGateways.some((g) => !rootGateways.includes(g))
  );
}

function joinNames(root: string | undefined, leaf: string | undefined): string | undefined {
  if (!leaf) return root;
  return root ? `${root}-${leaf}` : leaf;
}

function mergeMaps<T>(root?: Record<string, T>, leaf?: Record<string, T>): Record<string, T> | undefined {
  return root || leaf ? { ...root, ...leaf } : undefined;
}

/** Istio's `mergeHTTPMatchRequest`: the delegate's conditions, the root's where the delegate has none. */
function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...leaf };
  const set = <K extends keyof HTTPMatchRequest>(key: K, value: HTTPMatchRequest[K] | undefined) => {
    if (value === undefined) delete out[key];
    else out[key] = value;
  };
  set('name', joinNames(root.name, leaf.name));
  for (const f of ['uri', 'scheme', 'method', 'authority', 'port', 'sourceNamespace'] as const)
    if (!out[f]) set(f, root[f] as never);
  set('headers', mergeMaps(root.headers, leaf.headers));
  set('withoutHeaders', mergeMaps(root.withoutHeaders, leaf.withoutHeaders));
  set('queryParams', mergeMaps(root.queryParams, leaf.queryParams));
  set('sourceLabels', mergeMaps(root.sourceLabels, leaf.sourceLabels));
  if (!out.gateways?.length) set('gateways', root.gateways);
  return out;
}

/** Istio's `mergeHTTPMatchRequests`: undefined when some delegate match fits under no root match. */
function mergeMatches(
  root: readonly HTTPMatchRequest[] | undefined,
  leaf: readonly HTTPMatchRequest[] | undefined,
): HTTPMatchRequest[] | undefined | 'conflict' {
  if (!root?.length) return leaf ? [...leaf] : undefined;
  if (!leaf?.length) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const sub of leaf) {
    const fits = root.filter((r) => !hasConflict(r, sub));
    if (fits.length === 0) return 'conflict';
    out.push(...fits.map((r) => mergeMatch(r, sub)));
  }
  return out;
}

const INHERITED = [
  'rewrite',
  'timeout',
  'retries',
  'fault',
  'mirror',
  'mirrorPercent',
  'mirrorPercentage',
  'corsPolicy',
  'headers',
] as const;

/** Istio's `mergeHTTPRoute`, or undefined when the delegate rule conflicts with the root's match. */
function mergeRule(root: HTTPRoute, leaf: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatches(root.match, leaf.match);
  if (match === 'conflict') return undefined;
  const out: HTTPRoute = { ...leaf };
  if (match) out.match = match;
  else delete out.match;
  const name = joinNames(root.name, leaf.name);
  if (name) out.name = name;
  for (const f of INHERITED) if (out[f] === undefined && root[f] !== undefined) out[f] = root[f] as never;
  return out;
}

/**
 * A delegate rule with its namespace made explicit: Istio resolves short destination hosts and gateway
 * names of every VirtualService in its own namespace before merging, so they keep meaning the delegate's.
 */
function resolvedIn(rule: HTTPRoute, namespace: string, domainSuffix: string): HTTPRoute {
  const host = (h: string) => resolveHost(h, namespace, domainSuffix);
  const out: HTTPRoute = { ...rule };
  if (rule.route)
    out.route = rule.route.map((r) => ({
      ...r,
      destination: { ...r.destination, host: host(r.destination.host) },
    }));
  if (rule.mirror) out.mirror = { ...rule.mirror, host: host(rule.mirror.host) };
  if (rule.mirrors)
    out.mirrors = rule.mirrors.map((m) => ({
      ...m,
      destination: { ...m.destination, host: host(m.destination.host) },
    }));
  if (rule.match)
    out.match = rule.match.map((m) =>
      m.gateways
        ? {
            ...m,
            gateways: m.gateways.map((g) => (g === MESH_GATEWAY ? g : resolveGatewayName(g, namespace))),
          }
        : m,
    );
  return out;
}

/**
 * The HTTP rules of a VirtualService in `namespace` with each `delegate` rule replaced by the delegate's
 * merged rules. A delegate that is missing, has hosts, or is not exported to the root's namespace
 * contributes nothing (Istio drops that rule only); a delegate's own `delegate` rules are dropped (Istio's
 * validation refuses them: one level of delegation).
 */
export function httpRulesWithDelegates(
  vs: VirtualService,
  namespace: string,
  snapshot: MeshSnapshot,
): HTTPRoute[] {
  const rules = vs.spec.http ?? [];
  if (!rules.some((r) => r.delegate)) return [...rules];
  const out: HTTPRoute[] = [];
  for (const rule of rules) {
    if (!rule.delegate) {
      out.push(rule);
      continue;
    }
    const delegateNamespace = rule.delegate.namespace || namespace;
    const found = delegatesOf(snapshot).get(`${delegateNamespace}/${rule.delegate.name ?? ''}`);
    if (!found || !isExportedTo(found.config.spec.exportTo, found.namespace, namespace)) continue;
    const { delegate: _delegate, ...rest } = rule;
    const root = resolvedIn(rest, namespace, snapshot.domainSuffix);
    for (const leaf of found.config.spec.http ?? []) {
      if (leaf.delegate) continue;
      const merged = mergeRule(root, resolvedIn(leaf, found.namespace, snapshot.domainSuffix));
      if (merged) out.push(merged);
    }
  }
  return out;
}
