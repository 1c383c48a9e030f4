import { loadAssignment } from '../../clusters-and-endpoints.js';
import { outboundClusterName } from '../../resource-names.js';
import type { SidecarContext } from '../sidecar-context.js';
import { subsetNames } from './outbound-clusters.js';

/**
 * EDS for a sidecar: a ClusterLoadAssignment for each EDS cluster (services resolved STATIC), subset
 * clusters holding only the endpoints with the subset's labels; `names` narrows to what was asked for.
 * Endpoints carry `tlsMode` metadata, which the clusters' auto-mTLS transport socket matches on.
 */
export function generateSidecarLoadAssignments(ctx: SidecarContext, names?: ReadonlySet<string>): object[] {
  const assignments: object[] = [];
  for (const service of ctx.outboundServices) {
    if (service.resolution !== 'STATIC') continue;
    const subsets = ['', ...subsetNames(ctx.snapshot.destinationRule(service.hostname))];
    for (const port of service.ports)
      for (const subset of subsets)
        if (!names || names.has(outboundClusterName(port.port, subset, service.hostname)))
          assignments.push(loadAssignment(ctx.snapshot, service, port, subset, ctx.mesh.rootNamespace));
  }
  return assignments;
}
