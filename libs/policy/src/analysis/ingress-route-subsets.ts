import { specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/**
 * Istio's `virtualservice.DestinationHostAnalyzer` check IST0140: a VirtualService bound to an ingress
 * gateway routes to a host without a subset while another VirtualService (for that host) splits it
 * by subsets. The gateway's request goes straight to the host's cluster: the subset split, written
 * for the mesh, never applies to ingress traffic. VirtualServices bound only to `mesh` are not
 * ingress routes and are not checked.
 */
export function analyzeIngressRouteSubsets(ctx: AnalysisContext): AnalysisMessage[] {
  /** Hosts a VirtualService routes by subset, for hosts it is itself for. */
  const splitBy = new Map<string, string[]>();
  for (const vs of ctx.ofKind('VirtualService')) {
    const spec = specOf(vs, 'VirtualService');
    for (const rule of spec.http ?? [])
      for (const route of rule.route ?? []) {
        const host = route.destination?.host ?? '';
        if (!route.destination?.subset || !(spec.hosts ?? []).includes(host)) continue;
        splitBy.set(host, [...new Set([...(splitBy.get(host) ?? []), `${vs.namespace}/${vs.name}`])]);
      }
  }
  const messages: AnalysisMessage[] = [];
  for (const vs of ctx.ofKind('VirtualService')) {
    const spec = specOf(vs, 'VirtualService');
    if (!(spec.gateways ?? []).some((gateway) => gateway !== 'mesh')) continue;
    (spec.http ?? []).forEach((rule, i) =>
      (rule.route ?? []).forEach((route, j) => {
        if (route.destination === undefined || route.destination.subset) return;
        for (const other of splitBy.get(route.destination.host ?? '') ?? [])
          messages.push(
            newMessage(
              'IngressRouteRulesNotAffected',
              vs,
              `Subset in virtual service ${other} has no effect on ingress gateway ${vs.namespace}/${vs.name} requests`,
              `spec.http[${i}].route[${j}].destination.host`,
            ),
          );
      }),
    );
  }
  return messages;
}
