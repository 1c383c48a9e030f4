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
 * sidecar's), the Gateways selecting it, their servers by port, and what could not be built.
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
  const { ports, problems } = gatewayPorts(gateways);
  return { sidecar: buildSidecarContext(snapshot, proxy, mesh), gateways, ports, problems };
}
