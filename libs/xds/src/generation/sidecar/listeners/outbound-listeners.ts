import type { MeshService, MeshServicePort } from '@mesh/registry';

import { filterOf, KNOWN_FILTERS } from '../../../envoy/known-filters.js';
import { outboundClusterName } from '../../resource-names.js';
import type { SidecarContext } from '../sidecar-context.js';
import type { ExplicitEgressListener } from './sidecar-listeners-explicit.js';
import {
  BLACKHOLE_CLUSTER,
  isHttpProtocol,
  PASSTHROUGH_CLUSTER,
  socketAddress,
  tcpProxy,
  WEBSOCKET_UPGRADE,
} from './listener-common.js';
import { outboundTcpFilterChains } from './tcp-tls-routes.js';

/**
 * Outbound listeners of a sidecar in REDIRECT mode (`pilot/pkg/networking/core/listener.go`):
 * `virtualOutbound` on 15001 receives everything the app sends and, with `use_original_dst`, hands
 * each connection to the listener of its original destination: `0.0.0.0_<port>` for HTTP ports (one
 * per port, routes from RDS `"<port>"`) or `<vip>_<port>` for TCP services. Those are not bound.
 * VirtualService `tcp` and `tls` (SNI) routes shape the chains of TCP listeners (`tcp-tls-routes.ts`).
 */

type Obj = Record<string, unknown>;

export const VIRTUAL_OUTBOUND = 'virtualOutbound';
export const VIRTUAL_OUTBOUND_PORT = 15001;

const ADS = { ads: {}, resource_api_version: 'V3' };

export function virtualOutboundListener(ctx: SidecarContext): Obj {
  const catchAll =
    ctx.mesh.outboundTrafficPolicy === 'REGISTRY_ONLY' ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER;
  return {
    name: VIRTUAL_OUTBOUND,
    address: socketAddress('0.0.0.0', VIRTUAL_OUTBOUND_PORT),
    filter_chains: [
      // A connection whose original destination is 15001 itself would loop.
      {
        name: `${VIRTUAL_OUTBOUND}-blackhole`,
        filter_chain_match: { destination_port: { value: VIRTUAL_OUTBOUND_PORT } },
        filters: [tcpProxy(BLACKHOLE_CLUSTER)],
      },
      // No listener for the original destination: an unknown host (ALLOW_ANY) or forbidden.
      { name: `${VIRTUAL_OUTBOUND}-catchall-tcp`, filters: [tcpProxy(catchAll)] },
    ],
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
  };
}

/** The outbound HCM of one port, routes from RDS `"<port>"`; `bind` only shapes the stat prefix. */
function outboundHttpManager(bind: string, port: number): Obj {
  return filterOf(KNOWN_FILTERS.httpConnectionManager, {
    stat_prefix: `outbound_${bind}_${port}`,
    rds: { route_config_name: String(port), config_source: ADS },
    // Istio's order (`buildHTTPConnectionManager`): fault, then CORS, then the router. Both are empty
    // here; a VirtualService's faults and corsPolicy arrive per route (typed_per_filter_config).
    http_filters: [
      filterOf(KNOWN_FILTERS.fault),
      filterOf(KNOWN_FILTERS.cors),
      filterOf(KNOWN_FILTERS.router),
    ],
    use_remote_address: { value: false },
    upgrade_configs: [WEBSOCKET_UPGRADE],
  });
}

function portListener(name: string, bind: string, port: number, chains: Obj[], bindToPort = false): Obj {
  return {
    name,
    address: socketAddress(bind, port),
    filter_chains: chains,
    bind_to_port: { value: bindToPort },
    traffic_direction: 'OUTBOUND',
  };
}

function listenerFor(ctx: SidecarContext, service: MeshService, port: MeshServicePort): Obj {
  if (isHttpProtocol(port.protocol))
    return portListener(`0.0.0.0_${port.port}`, '0.0.0.0', port.port, [
      { filters: [outboundHttpManager('0.0.0.0', port.port)] },
    ]);
  const bind = service.addresses[0] ?? '0.0.0.0';
  return portListener(`${bind}_${port.port}`, bind, port.port, outboundTcpFilterChains(ctx, service, port));
}

type Chain = { filter_chain_match?: { server_names?: string[] } };

/** The server names of a chain, or undefined when it matches any SNI. */
function serverNames(chain: Chain): string[] | undefined {
  const names = chain.filter_chain_match?.server_names;
  return names && names.length > 0 ? names : undefined;
}

/**
 * Adds the chains of `extra` to `kept` when both listeners only hold SNI chains (VIP-less TLS services
 * sharing `0.0.0.0_<port>`, as istiod merges them), skipping server names already taken: Envoy rejects
 * two chains with the same match. Otherwise the first listener keeps the address.
 */
function mergeSniChains(kept: Obj, extra: Obj): void {
  const keptChains = kept['filter_chains'] as Chain[];
  const extraChains = extra['filter_chains'] as Chain[];
  const sniOnly = (chains: Chain[]) => chains.every((c) => serverNames(c) !== undefined);
  if (!sniOnly(keptChains) || !sniOnly(extraChains)) return;
  const taken = new Set(keptChains.flatMap((c) => serverNames(c) ?? []));
  for (const chain of extraChains) {
    const names = serverNames(chain) ?? [];
    if (names.some((n) => taken.has(n))) continue;
    for (const n of names) taken.add(n);
    keptChains.push(chain);
  }
}

/**
 * One listener per outbound HTTP port and per TCP service port. When two services claim the same
 * listener (two HTTP services on a port share it by design; two VIP-less TCP services, or a VIP-less
 * TCP service on an HTTP port, conflict) the first service in snapshot order keeps it, where Istio
 * resolves conflicts by service age and reports `pilot_conflict_outbound_listener_*`.
 */
export function outboundPortListeners(ctx: SidecarContext): Obj[] {
  const byName = new Map<string, Obj>();
  for (const service of ctx.outboundServices) {
    for (const port of service.ports) {
      const listener = listenerFor(ctx, service, port);
      const name = listener['name'] as string;
      const kept = byName.get(name);
      if (kept) mergeSniChains(kept, listener);
      else byName.set(name, listener);
    }
  }
  return [...byName.values()];
}

/**
 * The listener of a Sidecar egress entry with a port and a bind address or `captureMode: NONE`
 * (`sidecar-listeners-explicit.ts`): HTTP through RDS `"<port>"`, whose virtual hosts are the services
 * the entry imports; TCP straight to the imported service's `outbound|<port>||<fqdn>`. When the entry
 * imports several services on a TCP port, Envoy can tell them apart by nothing but the address, which is
 * the same for all: like istiod (which builds one listener per service and keeps the first), the first
 * service in snapshot order gets the port.
 */
export function explicitEgressListener(egress: ExplicitEgressListener): Obj {
  const { name, bind, port, bindToPort } = egress;
  if (egress.http)
    return portListener(name, bind, port, [{ filters: [outboundHttpManager(bind, port)] }], bindToPort);
  const [first] = egress.services;
  const cluster = first ? outboundClusterName(port, '', first.hostname) : BLACKHOLE_CLUSTER;
  return portListener(name, bind, port, [{ filters: [tcpProxy(cluster)] }], bindToPort);
}
