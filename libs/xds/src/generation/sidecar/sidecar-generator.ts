import { TypeUrl } from '../../type-urls.js';
import type { GenerationRequest } from '../proxyless-generator.js';
import { generateSidecarClusters } from './clusters/sidecar-clusters.js';
import { generateSidecarLoadAssignments } from './clusters/sidecar-load-assignments.js';
import { generateSidecarListeners } from './listeners/sidecar-listeners.js';
import { generateSidecarRoutes } from './routes/sidecar-routes.js';
import type { SidecarContext } from './sidecar-context.js';

function nameOf(resource: object): string {
  const r = resource as { name?: string; cluster_name?: string };
  return r.name ?? r.cluster_name ?? '';
}

/**
 * Envoy config for one sidecar, by type: what istiod's CDS, EDS, LDS and RDS generators produce for
 * the proxy described by `ctx`. Named requests get only those names (LDS/CDS clients subscribe by
 * wildcard; RDS/EDS by name).
 */
export function generateSidecar(ctx: SidecarContext, request: GenerationRequest): object[] {
  const names = request.wildcard ? undefined : request.names;
  const only = (resources: object[]) => (names ? resources.filter((r) => names.has(nameOf(r))) : resources);
  switch (request.typeUrl) {
    case TypeUrl.Cluster:
      return only(generateSidecarClusters(ctx));
    case TypeUrl.ClusterLoadAssignment:
      return generateSidecarLoadAssignments(ctx, names);
    case TypeUrl.Listener:
      return only(generateSidecarListeners(ctx));
    case TypeUrl.RouteConfiguration:
      return generateSidecarRoutes(ctx, names);
    default:
      return [];
  }
}
