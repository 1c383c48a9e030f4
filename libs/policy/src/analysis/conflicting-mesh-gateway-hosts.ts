import { specOf, type AnalysisContext } from './analysis-context.js';
import type { AnalysisResource } from './analysis-input.js';
import { newMessage, type AnalysisMessage } from './messages.js';
import { scopedFqdn } from './service-hosts.js';

/**
 * Istio's `virtualservice.ConflictingMeshGatewayHostsAnalyzer`: two VirtualServices bound to the mesh
 * gateway (sidecars) that define the same host for the same namespaces (IST0109). Sidecars merge or
 * pick one of them in an order the user does not control.
 */
export function analyzeConflictingMeshGatewayHosts(ctx: AnalysisContext): AnalysisMessage[] {
  const byHost = new Map<string, AnalysisResource[]>();
  for (const vs of ctx.ofKind('VirtualService')) {
    const spec = specOf(vs, 'VirtualService');
    const gateways = spec.gateways ?? [];
    if (gateways.length > 0 && !gateways.includes('mesh')) continue;
    const exportTo = spec.exportTo ?? [];
    const scopes =
      exportTo.length === 0 || exportTo.includes('*')
        ? ['*']
        : [...new Set(exportTo.map((e) => (e === '.' ? vs.namespace : e)))];
    for (const scope of scopes)
      for (const host of spec.hosts ?? []) {
        const key = scopedFqdn(scope, vs.namespace, host);
        const list = byHost.get(key) ?? [];
        list.push(vs);
        byHost.set(key, list);
      }
  }
  const messages: AnalysisMessage[] = [];
  for (const [host, list] of byHost) {
    if (list.length < 2) continue;
    const names = list
      .map((vs) => `${vs.namespace}/${vs.name}`)
      .sort()
      .join(',');
    for (const vs of list)
      messages.push(
        newMessage(
          'ConflictingMeshGatewayVirtualServiceHosts',
          vs,
          `The VirtualServices ${names} associated with mesh gateway define the same host ${host} which can ` +
            'lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.',
          'metadata.name',
        ),
      );
  }
  return messages;
}
