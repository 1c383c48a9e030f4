import type { MeshSnapshot } from '@mesh/registry';

import {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  type MeshSettings,
  type SidecarProxy,
} from '../generation/sidecar/sidecar-context.js';
import { generateSidecar } from '../generation/sidecar/sidecar-generator.js';
import { proxyConfig, type ProxyConfig } from '../envoy/proxy-config.js';
import { TypeUrl } from '../type-urls.js';
import { simulateInbound } from './simulate-inbound.js';
import { simulateOutbound } from './simulate-outbound.js';
import type { InboundCall, InboundResult, OutboundCall, OutboundResult } from './simulation-types.js';

/** Everything istiod would send `proxy` (LDS, RDS, CDS, EDS by wildcard), ready to simulate against. */
export function sidecarConfig(
  snapshot: MeshSnapshot,
  proxy: SidecarProxy,
  mesh: Partial<MeshSettings> = {},
): ProxyConfig {
  const ctx = buildSidecarContext(snapshot, proxy, { ...DEFAULT_MESH_SETTINGS, ...mesh });
  const all = (typeUrl: string) => generateSidecar(ctx, { typeUrl, wildcard: true, names: new Set() });
  return proxyConfig({
    listeners: all(TypeUrl.Listener),
    routes: all(TypeUrl.RouteConfiguration),
    clusters: all(TypeUrl.Cluster),
    loadAssignments: all(TypeUrl.ClusterLoadAssignment),
  });
}

/**
 * Sends one call through a proxy's generated config and reports what Envoy would do with it: the
 * listener, filter chain, route and clusters it reaches (outbound), or the chain, mTLS and RBAC
 * verdict (inbound). Pure: the same config and call always give the same result.
 */
export function simulate(config: ProxyConfig, call: OutboundCall): OutboundResult;
export function simulate(config: ProxyConfig, call: InboundCall): InboundResult;
export function simulate(
  config: ProxyConfig,
  call: OutboundCall | InboundCall,
): OutboundResult | InboundResult;
export function simulate(
  config: ProxyConfig,
  call: OutboundCall | InboundCall,
): OutboundResult | InboundResult {
  return call.direction === 'outbound' ? simulateOutbound(config, call) : simulateInbound(config, call);
}
