import { hostMatches } from '@mesh/registry';

import { filterOf, KNOWN_FILTERS } from '../../envoy/known-filters.js';
import { socketAddress, WEBSOCKET_UPGRADE, withTlsInspector } from '../sidecar/listeners/listener-common.js';
import { routeFilter } from '../sidecar/listeners/tcp-tls-routes.js';
import {
  matchingHosts,
  resolveGatewayName,
  serverHostNames,
  virtualServicesBoundTo,
} from './gateway-binding.js';
import { autoPassthroughChains } from './gateway-auto-passthrough.js';
import type { GatewayContext } from './gateway-context.js';
import type { GatewayPort, PortServer } from './gateway-servers.js';
import { gatewayServerTransportSocket } from './gateway-tls.js';

/**
 * Gateway LDS, as istiod builds it (`pilot/pkg/networking/core/gateway.go` `buildGatewayListeners`): one
 * listener `0.0.0.0_<port>` per port, bound (a gateway has no iptables redirect); one chain for the
 * port's plain-HTTP servers (RDS `http.<port>`), one per terminated HTTPS server matched on its hosts by
 * SNI (RDS `https.<port>.<portName>.<gateway>.<namespace>`), TLS passthrough chains per VirtualService
 * `tls` match, AUTO_PASSTHROUGH chains per mesh mTLS SNI (see gateway-auto-passthrough.ts), and a tcp_proxy per TCP (or terminated TLS) server from VirtualService `tcp` routes.
 */

type Obj = Record<string, unknown>;

const ADS = { ads: {}, resource_api_version: 'V3' };
const BIND = '0.0.0.0';

/** The gateway HCM: the edge, so the client's address is the remote address (`use_remote_address`). */
function gatewayHttpManager(port: number, routeName: string): Obj {
  return filterOf(KNOWN_FILTERS.httpConnectionManager, {
    stat_prefix: `outbound_${BIND}_${port}`,
    rds: { route_config_name: routeName, config_source: ADS },
    http_filters: [
      filterOf(KNOWN_FILTERS.fault),
      filterOf(KNOWN_FILTERS.cors),
      filterOf(KNOWN_FILTERS.router),
    ],
    use_remote_address: { value: true },
    normalize_path: { value: true },
    upgrade_configs: [WEBSOCKET_UPGRADE],
  });
}

/** SNI names of a server: its hosts without namespaces; `*` matches any (no SNI condition). */
function sniMatch(hosts: readonly string[]): Obj {
  return hosts.includes('*') ? {} : { filter_chain_match: { server_names: [...hosts] } };
}

/** The tcp_proxy of the first `tcp` route of a bound VirtualService that applies to this port. */
function tcpRouteFilter(ctx: GatewayContext, entry: PortServer, port: number): Obj | undefined {
  for (const { namespace, config: vs } of virtualServicesBoundTo(
    ctx.sidecar.snapshot,
    entry.gateway,
    ctx.sidecar.proxy.namespace,
  )) {
    if (
      matchingHosts(entry.server, entry.gateway.namespace, vs, namespace, ctx.sidecar.snapshot.domainSuffix)
        .length === 0
    )
      continue;
    for (const rule of vs.spec.tcp ?? []) {
      const applies = (rule.match ?? [{}]).some(
        (m: { port?: number; gateways?: string[] }) =>
          (m.port === undefined || m.port === port) &&
          (!m.gateways?.length ||
            m.gateways.some((g) => resolveGatewayName(g, namespace) === entry.gateway.key)),
      );
      const filter = applies
        ? routeFilter(ctx.sidecar, withNamespace(vs, namespace), rule.route ?? [], port)
        : undefined;
      if (filter) return filter;
    }
  }
  return undefined;
}

function withNamespace<T extends { metadata: { namespace?: string } }>(vs: T, namespace: string): T {
  return { ...vs, metadata: { ...vs.metadata, namespace } };
}

/** Passthrough chains: one per VirtualService `tls` match whose SNI hosts the server exposes. */
function passthroughChains(ctx: GatewayContext, entry: PortServer, port: number, taken: Set<string>): Obj[] {
  const chains: Obj[] = [];
  const serverHosts = serverHostNames(entry.server, entry.gateway.namespace);
  for (const { namespace, config: vs } of virtualServicesBoundTo(
    ctx.sidecar.snapshot,
    entry.gateway,
    ctx.sidecar.proxy.namespace,
  )) {
    if (
      matchingHosts(entry.server, entry.gateway.namespace, vs, namespace, ctx.sidecar.snapshot.domainSuffix)
        .length === 0
    )
      continue;
    for (const rule of vs.spec.tls ?? [])
      for (const match of rule.match) {
        if (match.port !== undefined && match.port !== port) continue;
        const sni = match.sniHosts.filter((h) => serverHosts.some((s) => hostMatches(s, h)) && !taken.has(h));
        const filter =
          sni.length > 0
            ? routeFilter(ctx.sidecar, withNamespace(vs, namespace), rule.route ?? [], port)
            : undefined;
        if (!filter) continue;
        for (const h of sni) taken.add(h);
        chains.push({ filter_chain_match: { server_names: sni }, filters: [filter] });
      }
  }
  return chains;
}

function portChains(ctx: GatewayContext, { port, servers }: GatewayPort): Obj[] {
  const chains: Obj[] = [];
  const taken = new Set<string>();
  let plainHttp = false;
  for (const entry of servers) {
    const hosts = serverHostNames(entry.server, entry.gateway.namespace);
    switch (entry.kind) {
      case 'http':
        if (!plainHttp)
          chains.push({ filters: [gatewayHttpManager(port, entry.routeName ?? `http.${port}`)] });
        plainHttp = true;
        break;
      case 'https':
        chains.push({
          ...sniMatch(hosts),
          filters: [gatewayHttpManager(port, entry.routeName ?? '')],
          transport_socket: gatewayServerTransportSocket(entry.server.tls ?? {}, true),
        });
        break;
      case 'tls-passthrough':
        // VirtualService port matches and default destination ports read the server's own port.
        chains.push(...passthroughChains(ctx, entry, entry.server.port.number, taken));
        break;
      case 'tls-auto-passthrough':
        chains.push(...autoPassthroughChains(ctx, entry));
        break;
      case 'tls-terminated':
      case 'tcp': {
        const filter = tcpRouteFilter(ctx, entry, entry.server.port.number);
        if (!filter) break;
        chains.push({
          ...(entry.kind === 'tls-terminated' ? sniMatch(hosts) : {}),
          filters: [filter],
          ...(entry.kind === 'tls-terminated'
            ? { transport_socket: gatewayServerTransportSocket(entry.server.tls ?? {}, false) }
            : {}),
        });
        break;
      }
    }
  }
  return chains;
}

/** Gateway LDS: a listener per port that has at least one chain (Istio drops a port with none). */
export function generateGatewayListeners(ctx: GatewayContext): object[] {
  const listeners: object[] = [];
  for (const port of ctx.ports) {
    const chains = portChains(ctx, port);
    if (chains.length === 0) continue;
    listeners.push(
      withTlsInspector({
        name: `${BIND}_${port.port}`,
        address: socketAddress(BIND, port.port),
        filter_chains: chains,
        traffic_direction: 'OUTBOUND',
      }),
    );
  }
  return listeners;
}
