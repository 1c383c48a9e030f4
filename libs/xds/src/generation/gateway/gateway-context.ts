import type { MeshSnapshot } from '@mesh/registry';

import {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  type MeshSettings,
  type SidecarContext,
  type SidecarProxy,
} from '../sidecar/sidecar-context.js';
import { gatewaysSelecting, type BoundGateway } from './gateway-binding.js';
import { gatewayPorts, type GatewayPort } from './gateway-servers.js';

/**
 * Everything gateway generation needs for one `router~` proxy, computed once per (proxy, snapshot): the
 * sidecar context of the gateway workload (its outbound services, clusters and endpoints are a
 * sidecar's), the Gateways selecting it, their servers by the port it listens on, and what could not
 * be built.
 */
export interface GatewayContext {
  sidecar: SidecarContext;
  gateways: readonly BoundGateway[];
  ports: readonly GatewayPort[];
  /** `Gateway <ns>/<name>: <field path>: <reason>` for each server left out. */
  problems: readonly string[];
}

export function buildGatewayContext(
  snapshot: MeshSnapshot,
  proxy: SidecarProxy,
  mesh: MeshSettings = DEFAULT_MESH_SETTINGS,
): GatewayContext {
  const gateways = gatewaysSelecting(snapshot, proxy.labels);
  const sidecar = buildSidecarContext(snapshot, proxy, mesh);
  // The Services selecting the gateway workload translate server ports to their target ports.
  const resolve = (port: number) =>
    sidecar.inboundPorts.find((p) => p.port.port === port)?.targetPort ?? port;
  const { ports, problems } = gatewayPorts(gateways, resolve);
  return { sidecar, gateways, ports, problems };
}
