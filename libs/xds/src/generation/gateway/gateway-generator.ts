import { TypeUrl } from '../../type-urls.js';
import type { GenerationRequest } from '../proxyless-generator.js';
import { specialClusters } from '../sidecar/clusters/local-clusters.js';
import { generateSidecarOutboundClusters } from '../sidecar/clusters/sidecar-clusters.js';
import { generateSidecarLoadAssignments } from '../sidecar/clusters/sidecar-load-assignments.js';
import { sniDnatClusters, sniDnatLoadAssignments } from './gateway-auto-passthrough.js';
import type { GatewayContext } from './gateway-context.js';
import { generateGatewayListeners } from './gateway-listeners.js';
import { generateGatewayRoutes } from './gateway-routes.js';

const BLACKHOLE_CLUSTER = 'BlackHoleCluster';

function nameOf(resource: object): string {
  return (resource as { name?: string }).name ?? '';
}

/**
 * Envoy config for one gateway (`router~` node), by type: the listeners and routes of the Gateways
 * selecting it, the outbound clusters and endpoints a sidecar in its namespace would see (with auto-mTLS
 * to the mesh behind it), the SNI-DNAT clusters of AUTO_PASSTHROUGH servers, and BlackHoleCluster. No inbound clusters and no virtual listeners: a gateway
 * captures nothing. Named requests get only those names.
 */
export function generateGateway(ctx: GatewayContext, request: GenerationRequest): object[] {
  const names = request.wildcard ? undefined : request.names;
  const only = (resources: object[]) => (names ? resources.filter((r) => names.has(nameOf(r))) : resources);
  switch (request.typeUrl) {
    case TypeUrl.Cluster:
      return only([
        ...generateSidecarOutboundClusters(ctx.sidecar),
        ...sniDnatClusters(ctx),
        ...specialClusters().filter((c) => c['name'] === BLACKHOLE_CLUSTER),
      ]);
    case TypeUrl.ClusterLoadAssignment:
      return [...generateSidecarLoadAssignments(ctx.sidecar, names), ...sniDnatLoadAssignments(ctx, names)];
    case TypeUrl.Listener:
      return only(generateGatewayListeners(ctx));
    case TypeUrl.RouteConfiguration:
      return generateGatewayRoutes(ctx, names);
    default:
      return [];
  }
}
