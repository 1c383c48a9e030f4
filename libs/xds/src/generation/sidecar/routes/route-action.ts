import type { Destination, HTTPRoute, HTTPRouteDestination } from '@mesh/policy';
import type { MeshSnapshot } from '@mesh/registry';
import { resolveHost } from '@mesh/registry';

import { outboundClusterName } from '../../resource-names.js';
import { consistentHashForDestination, hashPolicy } from './consistent-hash.js';
import { durationOf, NO_TIMEOUT, percentPerHundred, percentPerMillion, type Obj } from './envoy-values.js';
import { headerFields, headerOperations, mergeHeaderFields } from './headers.js';
import { retryPolicy } from './retry-policy.js';

/** Where a VirtualService's routes are being built: its namespace and the listener (route config) port. */
export interface RouteScope {
  snapshot: MeshSnapshot;
  /** Namespace of the VirtualService: short destination hosts resolve in it. */
  namespace: string;
  listenerPort: number;
  /** Routes for a proxyless gRPC client (see `SidecarProxy.proxylessGrpc`), not for an Envoy. */
  proxylessGrpc: boolean;
  /** Routes for a gateway: the `<namespace>/<name>` of the Gateway being built (match-level `gateways`). */
  gateway?: string;
}

/**
 * `outbound|<port>|<subset>|<fqdn>` for a destination (Istio's `GetDestinationCluster`). Without an
 * explicit port Istio uses the listener port: its service lookup only holds services exposing that
 * port, each reduced to that single port.
 */
export function destinationCluster(
  destination: Destination,
  scope: Pick<RouteScope, 'snapshot' | 'namespace' | 'listenerPort'>,
): string {
  const hostname = resolveHost(destination.host, scope.namespace, scope.snapshot.domainSuffix);
  const port = destination.port?.number ?? scope.listenerPort;
  return outboundClusterName(port, destination.subset ?? '', hostname);
}

/** Istio's `MirrorPercent`: an explicit 0 disables the mirror; no percentage mirrors everything. */
function mirrorFraction(
  percentage: { value?: number } | undefined,
  percent?: number | null,
): Obj | undefined {
  if (percentage) return (percentage.value ?? 0) > 0 ? percentPerMillion(percentage.value) : undefined;
  if (percent !== undefined && percent !== null) return percent > 0 ? percentPerHundred(percent) : undefined;
  return percentPerHundred(100);
}

function mirrorPolicies(rule: HTTPRoute, scope: RouteScope): Obj[] {
  const mirrors: { destination: Destination; fraction: Obj | undefined }[] = [];
  if (rule.mirror)
    mirrors.push({
      destination: rule.mirror,
      fraction: mirrorFraction(rule.mirrorPercentage, rule.mirrorPercent ?? rule.mirror_percent),
    });
  for (const mirror of rule.mirrors ?? [])
    mirrors.push({ destination: mirror.destination, fraction: mirrorFraction(mirror.percentage) });
  return mirrors
    .filter((m) => m.fraction !== undefined)
    .map((m) => ({
      cluster: destinationCluster(m.destination, scope),
      runtime_fraction: { default_value: m.fraction },
      trace_sampled: { value: false },
    }));
}

/**
 * Istio's `applyHTTPRouteDestination`: the RouteAction of a rule that forwards. Route-level header
 * mutations of a single destination are appended to `route` (the Envoy Route), as Istio does.
 */
export function routeAction(
  rule: HTTPRoute,
  scope: RouteScope,
  authority: string | undefined,
  route: Obj,
): Obj {
  const destinations = (rule.route ?? []) as HTTPRouteDestination[];
  let hostRewrite = authority;
  const rewrite: Obj = {};
  if (rule.rewrite?.uriRegexRewrite)
    rewrite['regex_rewrite'] = {
      pattern: { regex: rule.rewrite.uriRegexRewrite.match ?? '' },
      substitution: rule.rewrite.uriRegexRewrite.rewrite ?? '',
    };
  else if (rule.rewrite?.uri) rewrite['prefix_rewrite'] = rule.rewrite.uri;
  if (rule.rewrite?.authority) hostRewrite = rule.rewrite.authority;

  const specifier: Obj = {};
  const hashPolicies: Obj[] = [];
  let consistentHash = false;
  if (destinations.length === 1) {
    const only = destinations[0] as HTTPRouteDestination;
    specifier['cluster'] = destinationCluster(only.destination, scope);
    const ops = headerOperations(only.headers);
    mergeHeaderFields(route, ops);
    // A destination's authority applies only when the rule itself does not rewrite the host.
    if (hostRewrite === undefined && ops.authority !== undefined) hostRewrite = ops.authority;
    const hash = consistentHashForDestination(only.destination, scope.namespace, scope.snapshot);
    consistentHash = hash !== undefined;
    const policy = hashPolicy(hash);
    if (policy) hashPolicies.push(policy);
  } else {
    const clusters = destinations
      .filter((d) => (d.weight ?? 0) !== 0)
      .map((d) => {
        const cluster: Obj = { name: destinationCluster(d.destination, scope), weight: { value: d.weight } };
        const ops = headerOperations(d.headers);
        Object.assign(cluster, headerFields(ops));
        if (ops.authority !== undefined) cluster['host_rewrite_literal'] = ops.authority;
        const policy = hashPolicy(
          consistentHashForDestination(d.destination, scope.namespace, scope.snapshot),
        );
        if (policy) hashPolicies.push(policy);
        return cluster;
      });
    specifier['weighted_clusters'] = { clusters };
  }

  const timeout = durationOf(rule.timeout) ?? NO_TIMEOUT;
  const action: Obj = { ...specifier, ...rewrite };
  if (hostRewrite !== undefined) action['host_rewrite_literal'] = hostRewrite;
  action['timeout'] = timeout;
  const retry = retryPolicy(rule.retries, consistentHash);
  if (retry) action['retry_policy'] = retry;
  const mirrors = mirrorPolicies(rule, scope);
  if (mirrors.length > 0) action['request_mirror_policies'] = mirrors;
  if (hashPolicies.length > 0) action['hash_policy'] = hashPolicies;
  // Istio's setTimeout: Envoy still gets the deprecated field (its replacement had regressions in
  // Envoy); gRPC's xDS client reads only the replacement.
  if (scope.proxylessGrpc) action['max_stream_duration'] = { max_stream_duration: timeout };
  else action['max_grpc_timeout'] = timeout;
  return action;
}
