import {
  labelsMatch,
  type MeshService,
  type MeshServicePort,
  type RouteDestination,
  type VirtualService,
} from '@mesh/policy';

import { TCP_PROXY_TYPE } from '../../../resources/listener.js';
import { outboundClusterName } from '../../resource-names.js';
import { destinationCluster } from '../routes/route-action.js';
import { MESH_GATEWAY } from '../routes/route-match.js';
import type { SidecarContext, SidecarProxy } from '../sidecar-context.js';
import { tcpProxy } from './listener-common.js';

/**
 * The filter chains of an outbound TCP or TLS port listener, from the VirtualServices of its host
 * (istiod's `buildSidecarOutboundTLSFilterChainOpts` and `buildSidecarOutboundTCPFilterChainOpts`,
 * `pilot/pkg/networking/core/listener_builder.go` / `networkfilter.go`):
 *
 * - TLS/HTTPS ports: one chain per distinct `sniHosts` of the `tls` matches that apply to this sidecar,
 *   each a `tcp_proxy` to the rule's destinations. Only when no `tls` match applies does the service's own
 *   cluster get a chain; as in istiod there is then no catch-all, so a ClientHello naming another server
 *   finds no chain and Envoy closes the connection. `tcp` rules are ignored on TLS ports.
 * - Other TCP ports: the first `tcp` rule (VirtualServices oldest first) without matches or with a match
 *   that applies decides the single chain; none: the service's own cluster. `tls` rules are ignored.
 *
 * Not generated: `destinationSubnets` (istiod's `prefix_ranges` chains). A match naming subnets is treated
 * as not applying, so the rule falls through to later rules or the default.
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
  if (match.destinationSubnets && match.destinationSubnets.length > 0) return false;
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
function routeFilter(
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
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: {
      '@type': TCP_PROXY_TYPE,
      stat_prefix: `${vs.metadata.name}.${namespace}`,
      weighted_clusters: { clusters },
    },
  };
}

function tlsChains(ctx: SidecarContext, vss: readonly VirtualService[], service: MeshService, port: number) {
  const chains: Obj[] = [];
  const handled = new Set<string>();
  for (const vs of vss)
    for (const rule of vs.spec.tls ?? [])
      for (const match of rule.match) {
        if (!l4MatchApplies(match, ctx.proxy, port)) continue;
        // Matches with the same runtime predicates (SNI) after the static ones are evaluated: the first wins.
        const key = match.sniHosts.join(',');
        if (handled.has(key)) continue;
        const filter = routeFilter(ctx, vs, rule.route ?? [], port);
        if (!filter) continue;
        handled.add(key);
        chains.push({ filter_chain_match: { server_names: [...match.sniHosts] }, filters: [filter] });
      }
  if (chains.length > 0) return chains;
  // Without a VIP the listener is bound to 0.0.0.0 and shared: only the SNI tells services apart.
  const ownCluster = tcpProxy(outboundClusterName(port, '', service.hostname));
  if (service.addresses.length === 0)
    return [{ filter_chain_match: { server_names: [service.hostname] }, filters: [ownCluster] }];
  return [{ filters: [ownCluster] }];
}

function tcpChain(ctx: SidecarContext, vss: readonly VirtualService[], service: MeshService, port: number) {
  for (const vs of vss)
    for (const rule of vs.spec.tcp ?? []) {
      const matches = rule.match ?? [];
      if (matches.length > 0 && !matches.some((m) => l4MatchApplies(m, ctx.proxy, port))) continue;
      const filter = routeFilter(ctx, vs, rule.route ?? [], port);
      if (filter) return { filters: [filter] };
    }
  return { filters: [tcpProxy(outboundClusterName(port, '', service.hostname))] };
}

/** The filter chains of the outbound listener of a non-HTTP service port. */
export function outboundTcpFilterChains(
  ctx: SidecarContext,
  service: MeshService,
  port: MeshServicePort,
): Obj[] {
  const vss = ctx.snapshot.virtualServices(service.hostname).filter(appliesToSidecars);
  if (isTlsProtocol(port.protocol)) return tlsChains(ctx, vss, service, port.port);
  return [tcpChain(ctx, vss, service, port.port)];
}
