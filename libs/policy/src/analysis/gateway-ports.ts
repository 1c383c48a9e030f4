import { selectorMatches } from '../evaluation/workload-selection.js';
import { list, record, selectorString, specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, quoted, type AnalysisMessage } from './messages.js';

/**
 * Istio's `gateway.IngressGatewayPortAnalyzer`: a Gateway's selector matches gateway pods (IST0101),
 * and each server port is a target port of a Service in front of those pods (IST0162; the gateway
 * listens on the pod's port, the Service maps its ports to it). For files-only analysis the
 * `istio-ingressgateway` Service and pod that istioctl assumes are there (AnalysisInputOptions).
 */
export function analyzeGatewayPorts(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  for (const gateway of ctx.ofKind('Gateway')) {
    const spec = specOf(gateway, 'Gateway');
    const selector = spec.selector ?? {};
    const keys = Object.keys(selector).sort();
    const at = keys.length === 0 ? undefined : `spec.selector.${keys[0]}`;
    const pods = ctx.workloads().filter((w) => selectorMatches({ matchLabels: selector }, w.labels));
    if (pods.length === 0) {
      // Gateway pods the files do not describe may well exist when the files describe no workload.
      if (ctx.workloadsKnown)
        messages.push(
          newMessage(
            'ReferencedResourceNotFound',
            gateway,
            `Referenced selector not found: ${quoted(selectorString(selector))}`,
            at,
          ),
        );
      continue;
    }
    const targetPorts = new Set<number>();
    for (const service of ctx.ofKind('Service')) {
      const serviceSpec = record(service.object['spec']);
      const serviceSelector = record(serviceSpec['selector']) as Record<string, string>;
      // A Service without a selector selects no pod (Kubernetes manages no endpoints for it).
      if (Object.keys(serviceSelector).length === 0) continue;
      const selects = pods.some(
        (pod) =>
          pod.namespace === service.namespace &&
          selectorMatches({ matchLabels: serviceSelector }, pod.labels),
      );
      if (!selects) continue;
      for (const value of list(serviceSpec['ports'])) {
        const port = record(value);
        // Kubernetes defaults the protocol to TCP; files often leave it out.
        if ((port['protocol'] ?? 'TCP') !== 'TCP') continue;
        const target = port['targetPort'];
        targetPorts.add(typeof target === 'number' && target !== 0 ? target : Number(port['port']));
      }
    }
    for (const server of spec.servers ?? []) {
      const number = server.port?.number;
      if (number === undefined || targetPorts.has(number)) continue;
      messages.push(
        newMessage(
          'GatewayPortNotDefinedOnService',
          gateway,
          `The gateway is listening on a target port (port ${number}) that is not defined in the Service associated ` +
            `with its workload instances (Pod selector ${selectorString(selector)}). If you need to access the ` +
            'gateway port through the gateway Service, it will not be available.',
          at,
        ),
      );
    }
  }
  return messages;
}
