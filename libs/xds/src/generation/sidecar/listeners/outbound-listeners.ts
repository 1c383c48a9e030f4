import type { MeshService, MeshServicePort } from '@mesh/policy';

import { HTTP_CONNECTION_MANAGER_TYPE, ROUTER_TYPE } from '../../../resources/listener.js';
import { outboundClusterName } from '../../resource-names.js';
import type { SidecarContext } from '../sidecar-context.js';
import {
  BLACKHOLE_CLUSTER,
  isHttpProtocol,
  PASSTHROUGH_CLUSTER,
  socketAddress,
  tcpProxy,
  WEBSOCKET_UPGRADE,
} from './listener-common.js';

/**
 * Outbound listeners of a sidecar in REDIRECT mode (`pilot/pkg/networking/core/listener.go`):
 * `virtualOutbound` on 15001 receives everything the app sends and, with `use_original_dst`, hands
 * each connection to the listener of its original destination: `0.0.0.0_<port>` for HTTP ports (one
 * per port, routes from RDS `"<port>"`) or `<vip>_<port>` for TCP services. Those are not bound.
 */

type Obj = Record<string, unknown>;

export const VIRTUAL_OUTBOUND = 'virtualOutbound';
export const VIRTUAL_OUTBOUND_PORT = 15001;

export const HTTP_FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

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

function outboundHttpManager(port: number): Obj {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HTTP_CONNECTION_MANAGER_TYPE,
      stat_prefix: `outbound_0.0.0.0_${port}`,
      rds: { route_config_name: String(port), config_source: ADS },
      http_filters: [
        // Empty here; VirtualService faults arrive per route (typed_per_filter_config).
        { name: 'envoy.filters.http.fault', typed_config: { '@type': HTTP_FAULT_TYPE } },
        { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } },
      ],
      use_remote_address: { value: false },
      upgrade_configs: [WEBSOCKET_UPGRADE],
    },
  };
}

function portListener(name: string, bind: string, port: number, filter: Obj): Obj {
  return {
    name,
    address: socketAddress(bind, port),
    filter_chains: [{ filters: [filter] }],
    bind_to_port: { value: false },
    traffic_direction: 'OUTBOUND',
  };
}

function listenerFor(service: MeshService, port: MeshServicePort): Obj {
  if (isHttpProtocol(port.protocol))
    return portListener(`0.0.0.0_${port.port}`, '0.0.0.0', port.port, outboundHttpManager(port.port));
  const bind = service.addresses[0] ?? '0.0.0.0';
  const cluster = outboundClusterName(port.port, '', service.hostname);
  return portListener(`${bind}_${port.port}`, bind, port.port, tcpProxy(cluster));
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
      const listener = listenerFor(service, port);
      const name = listener['name'] as string;
      if (!byName.has(name)) byName.set(name, listener);
    }
  }
  return [...byName.values()];
}
