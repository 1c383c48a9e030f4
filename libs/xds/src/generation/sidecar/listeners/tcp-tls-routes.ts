import type { RouteDestination, VirtualService } from '@mesh/policy';
import { labelsMatch, type MeshService, type MeshServicePort } from '@mesh/registry';

import { filterOf, KNOWN_FILTERS } from '../../../envoy/known-filters.js';
import { outboundClusterName } from '../../resource-names.js';
import { destinationCluster } from '../routes/route-action.js';
import { MESH_GATEWAY } from '../routes/route-match.js';
import type { SidecarContext, SidecarProxy } from '../sidecar-context.js';
import { tcpProxy } from './listener-common.js';
import { cidrRange } from './rbac-matchers.js';

/**
 * The filter chains of an outbound TCP or TLS port listener, from the VirtualServices of its host
 * (istiod's `buildSidecarOutboundTLSFilterChainOpts` and `buildSidecarOutboundTCPFilterChainOpts`,
 * `pilot/pkg/networking/core/listener_builder.go` / `networkfilter.go`):
 *
 * - TLS/HTTPS ports: one chain per distinct `sniHosts` of the `tls` matches that apply to this sidecar,
 *   each a `tcp_proxy` to the rule's destinations. Only when no `tls` match applies does the service's own
 *   cluster get a chain; as in istiod there is then no catch-all, so a ClientHello naming another server
 *   finds no chain and Envoy closes the connection. `tcp` rules are ignored on TLS ports.
 * - Other TCP ports: `tcp` rules in order (VirtualServices oldest first). A rule whose applying matches all
 *   name `destinationSubnets` gets a chain for those subnets (`prefix_ranges`; Envoy picks the longest
 *   prefix holding the original destination); the first rule without matches or with an applying match
 *   that names no subnets is the catch-all and ends the list; none: the service's own cluster.
 *   `tls` rules are ignored.
 * - A `tls` match naming `destinationSubnets` narrows its SNI chain to them the same way.
 * Listener filters (tls_inspector) are not emitted: the codec does not load that proto (as inbound).
 */

type Obj = Record<string, unknown>;

/** Protocols istiod treats as TLS (`Protocol.IsTLS`): routed by SNI, not by `tcp` rules. */
const TLS_PROTOCOLS = new Set(['TLS', 'HTTPS']);

export function isTlsProtocol(protocol: string): boolean {
  return TLS_PROTOCOLS.has(protocol.toUpperCase());
}

/** A VirtualService applies to sidecars when it names no gateways or names `mesh`. */
function appliesToSidecars(vs: VirtualService): boolean {
  const gateways = vs.spec.gateways ?? [];
  return gateways.length === 0 || gateways.includes(MESH_GATEWAY);
}

/** The static predicates of an L4 or TLS match (istiod's `matchTCP` / `matchTLS`). */
interface L4Match {
  port?: number;
  gateways?: string[];
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  destinationSubnets?: string[];
}

function l4MatchApplies(match: L4Match, proxy: SidecarProxy, port: number): boolean {
  if (match.port !== undefined && match.port !== 0 && match.port !== port) return false;
  if (match.gateways && match.gateways.length > 0 && !match.gateways.includes(MESH_GATEWAY)) return false;
  if (!labelsMatch(match.sourceLabels ?? {}, proxy.labels)) return false;
  return !match.sourceNamespace || match.sourceNamespace === proxy.namespace;
}

/**
 * istiod's `buildOutboundNetworkFilters`: one destination → `cluster` (its weight ignored), stat prefix
 * the cluster; several → `weighted_clusters` without the zero weights, stat prefix `<vs>.<namespace>`.
 * Undefined when no destination carries weight.
 */
export function routeFilter(
  ctx: SidecarContext,
  vs: VirtualService,
  route: readonly RouteDestination[],
  port: number,
): Obj | undefined {
  const namespace = vs.metadata.namespace ?? 'default';
  const scope = { snapshot: ctx.snapshot, namespace, listenerPort: port };
  const [only] = route;
  if (route.length === 1 && only) return tcpProxy(destinationCluster(only.destination, scope));
  const clusters = route
    .filter((d) => (d.weight ?? 0) > 0)
    .map((d) => ({ name: destinationCluster(d.destination, scope), weight: d.weight }));
  if (clusters.length === 0) return undefined;
  return filterOf(KNOWN_FILTERS.tcpProxy, {
    stat_prefix: `${vs.metadata.name}.${namespace}`,
    weighted_clusters: { clusters },
  });
}

function tlsChains(ctx: SidecarContext, vss: readonly VirtualService[], service: MeshService, port: number) {
  const chains: Obj[] = [];
  const handled = new Set<string>();
  for (const vs of vss)
    for (const rule of vs.spec.tls ?? [])
      for (const match of rule.match) {
        if (!l4MatchApplies(match, ctx.proxy, port)) continue;
        // Matches with the same runtime predicates (SNI, subnets) after the static ones: the first wins.
        const ranges = prefixRanges(match.destinationSubnets);
        const key = `${match.sniHosts.join(',')} ${JSON.stringify(ranges)}`;
        if (handled.has(key)) continue;
        const filter = routeFilter(ctx, vs, rule.route ?? [], port);
        if (!filter) continue;
        handled.add(key);
        chains.push({
          filter_chain_match: {
            ...(ranges.length > 0 ? { prefix_ranges: ranges } : {}),
            server_names: [...match.sniHosts],
          },
          filters: [filter],
        });
      }
  if (chains.length > 0) return chains;
  // Without a VIP the listener is bound to 0.0.0.0 and shared: only the SNI tells services apart.
  const ownCluster = tcpProxy(outboundClusterName(port, '', service.hostname));
  if (service.addresses.length === 0)
    return [{ filter_chain_match: { server_names: [service.hostname] }, filters: [ownCluster] }];
  return [{ filters: [ownCluster] }];
}

/**
 * `destinationSubnets` as Envoy `prefix_ranges`. Admission validation rejects malformed subnets; one that
 * got past it anyway is left out rather than failing the listener. Ranges already claimed are dropped too:
 * Envoy rejects a listener whose chains have identical matches.
 */
function prefixRanges(subnets: readonly string[] | undefined, claimed?: Set<string>): Obj[] {
  const out: Obj[] = [];
  for (const subnet of subnets ?? []) {
    let range: Obj;
    try {
      range = cidrRange(subnet);
    } catch {
      continue;
    }
    const key = JSON.stringify(range);
    if (claimed?.has(key)) continue;
    claimed?.add(key);
    out.push(range);
  }
  return out;
}

function tcpChains(ctx: SidecarContext, vss: readonly VirtualService[], service: MeshService, port: number) {
  const chains: Obj[] = [];
  const claimed = new Set<string>();
  for (const vs of vss)
    for (const rule of vs.spec.tcp ?? []) {
      const all = rule.match ?? [];
      const applying = all.filter((m) => l4MatchApplies(m, ctx.proxy, port));
      if (all.length > 0 && applying.length === 0) continue;
      const filter = routeFilter(ctx, vs, rule.route ?? [], port);
      if (!filter) continue;
      const catchAll = all.length === 0 || applying.some((m) => (m.destinationSubnets ?? []).length === 0);
      if (catchAll) return [...chains, { filters: [filter] }];
      const ranges = prefixRanges(
        applying.flatMap((m) => m.destinationSubnets ?? []),
        claimed,
      );
      if (ranges.length > 0)
        chains.push({ filter_chain_match: { prefix_ranges: ranges }, filters: [filter] });
    }
  return [...chains, { filters: [tcpProxy(outboundClusterName(port, '', service.hostname))] }];
}

/** The filter chains of the outbound listener of a non-HTTP service port. */
export function outboundTcpFilterChains(
  ctx: SidecarContext,
  service: MeshService,
  port: MeshServicePort,
): Obj[] {
  const vss = ctx.snapshot.virtualServices(service.hostname).filter(appliesToSidecars);
  if (isTlsProtocol(port.protocol)) return tlsChains(ctx, vss, service, port.port);
  return tcpChains(ctx, vss, service, port.port);
}
