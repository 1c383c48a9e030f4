import type { Destination, LoadBalancerSettings, PortTrafficPolicy } from '@mesh/policy';
import { resolveHost, type MeshSnapshot } from '@mesh/registry';

import { durationOf, type Obj } from './envoy-values.js';

type ConsistentHash = NonNullable<LoadBalancerSettings['consistentHash']>;

function portHash(
  settings: readonly PortTrafficPolicy[] | undefined,
  port: number | undefined,
): ConsistentHash | undefined {
  if (port === undefined) return undefined;
  return settings?.find((s) => s.port?.number === port)?.loadBalancer?.consistentHash;
}

/**
 * The consistent hash a route destination uses (Istio's `HashForHTTPDestination`): the subset's
 * port-level setting, then the subset's, then the rule's port-level one (when the destination names
 * a port), then the rule's own.
 */
export function consistentHashForDestination(
  destination: Destination,
  namespace: string,
  snapshot: MeshSnapshot,
): ConsistentHash | undefined {
  const rule = snapshot.destinationRule(resolveHost(destination.host, namespace, snapshot.domainSuffix));
  if (!rule) return undefined;
  const policy = rule.spec.trafficPolicy;
  const port = destination.port?.number;
  const subset = rule.spec.subsets?.find((s) => s.name === destination.subset);
  return (
    portHash(subset?.trafficPolicy?.portLevelSettings, port) ??
    subset?.trafficPolicy?.loadBalancer?.consistentHash ??
    portHash(policy?.portLevelSettings, port) ??
    policy?.loadBalancer?.consistentHash
  );
}

/** The consistent hash of a service port without a VirtualService (Istio's `hashForService`). */
export function consistentHashForService(
  hostname: string,
  port: number,
  snapshot: MeshSnapshot,
): ConsistentHash | undefined {
  const policy = snapshot.destinationRule(hostname)?.spec.trafficPolicy;
  return portHash(policy?.portLevelSettings, port) ?? policy?.loadBalancer?.consistentHash;
}

/** Istio's `consistentHashToHashPolicy`: the request attribute Envoy hashes on. */
export function hashPolicy(hash: ConsistentHash | undefined): Obj | undefined {
  if (!hash) return undefined;
  if (hash.httpHeaderName) return { header: { header_name: hash.httpHeaderName } };
  if (hash.httpCookie) {
    const cookie: Obj = { name: hash.httpCookie.name };
    const ttl = durationOf(hash.httpCookie.ttl);
    if (ttl) cookie['ttl'] = ttl;
    if (hash.httpCookie.path) cookie['path'] = hash.httpCookie.path;
    return { cookie };
  }
  if (hash.useSourceIp) return { connection_properties: { source_ip: true } };
  if (hash.httpQueryParameterName) return { query_parameter: { name: hash.httpQueryParameterName } };
  return undefined;
}
