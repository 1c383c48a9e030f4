import { specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, quoted, type AnalysisMessage } from './messages.js';
import { serviceNameOf, toFqdn } from './service-hosts.js';
import { mirrorDestinations, routeDestinations } from './virtual-service-destinations.js';

/**
 * Istio's `virtualservice.DestinationRuleAnalyzer`: every subset a VirtualService routes or mirrors
 * to is defined by a DestinationRule for that host (IST0101). Without it the proxy has no such
 * cluster and the request fails with 503 (NR).
 */
export function analyzeDestinationSubsets(ctx: AnalysisContext): AnalysisMessage[] {
  const defined = new Set<string>();
  for (const dr of ctx.ofKind('DestinationRule')) {
    const spec = specOf(dr, 'DestinationRule');
    const service = serviceNameOf(dr.namespace, toFqdn(dr.namespace, spec.host ?? ''));
    for (const subset of spec.subsets ?? []) defined.add(key(service, subset.name ?? ''));
  }
  const messages: AnalysisMessage[] = [];
  for (const vs of ctx.ofKind('VirtualService')) {
    const spec = specOf(vs, 'VirtualService');
    for (const d of [...routeDestinations(spec), ...mirrorDestinations(spec)]) {
      const subset = d.destination.subset ?? '';
      if (subset === '') continue;
      const host = d.destination.host ?? '';
      if (defined.has(key(serviceNameOf(vs.namespace, host), subset))) continue;
      const what = d.mirror ? 'mirror+subset' : 'host+subset';
      messages.push(
        newMessage(
          'ReferencedResourceNotFound',
          vs,
          `Referenced ${what} in destinationrule not found: ${quoted(`${host}+${subset}`)}`,
          `${d.path}.host`,
        ),
      );
    }
  }
  return messages;
}

function key(service: { namespace: string; name: string }, subset: string): string {
  return `${service.namespace}/${service.name}/${subset}`;
}
