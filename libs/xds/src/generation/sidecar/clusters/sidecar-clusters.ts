import type { SidecarContext } from '../sidecar-context.js';
import { inboundClusters, specialClusters } from './local-clusters.js';
import { outboundClusters } from './outbound-clusters.js';

/**
 * CDS for a sidecar, as istiod builds it: `outbound|<port>|<subset>|<host>` for every service port the
 * proxy sees (DestinationRule applied, auto-mTLS), `inbound|<targetPort>||` for the ports its workload
 * serves, and the fixed BlackHole/Passthrough clusters.
 */
export function generateSidecarClusters(ctx: SidecarContext): object[] {
  return composeSidecarClusters(generateSidecarOutboundClusters(ctx), generateSidecarLocalClusters(ctx));
}

/**
 * The one place CDS order is written: the scope's outbound clusters, then the proxy's own. Generic over
 * what a cluster is, so the serving cache orders encoded clusters exactly as generation orders objects.
 */
export function composeSidecarClusters<T>(outbound: readonly T[], local: readonly T[]): T[] {
  return [...outbound, ...local];
}

/** The outbound clusters: the same for every proxy of one scope (namespace and Sidecar resource). */
export function generateSidecarOutboundClusters(ctx: SidecarContext): object[] {
  return outboundClusters(ctx);
}

/** The clusters that depend on the proxy itself: its inbound ports, plus the fixed ones. */
export function generateSidecarLocalClusters(ctx: SidecarContext): object[] {
  return [...inboundClusters(ctx), ...specialClusters()];
}
