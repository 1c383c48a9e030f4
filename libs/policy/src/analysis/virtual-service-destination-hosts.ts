import { specOf, type AnalysisContext } from './analysis-context.js';
import type { AnalysisResource } from './analysis-input.js';
import { goList, newMessage, quoted, type AnalysisMessage } from './messages.js';
import { lookupHost, serviceHosts, type ServiceHost } from './service-hosts.js';
import {
  mirrorDestinations,
  routeDestinations,
  type AnnotatedDestination,
} from './virtual-service-destinations.js';

/**
 * Istio's `virtualservice.DestinationHostAnalyzer`: every host a VirtualService routes or mirrors to
 * is a Service or ServiceEntry visible from its namespace (IST0101), the port it names is one the
 * service has (IST0101 `host:port`), and a service with several ports is given one (IST0112).
 */
export function analyzeDestinationHosts(ctx: AnalysisContext): AnalysisMessage[] {
  const hosts = serviceHosts(ctx);
  const messages: AnalysisMessage[] = [];
  for (const vs of ctx.ofKind('VirtualService')) {
    const spec = specOf(vs, 'VirtualService');
    const exportTo = spec.exportTo ?? [];
    for (const d of [...routeDestinations(spec), ...mirrorDestinations(spec)]) {
      const host = d.destination.host ?? '';
      const service = lookupHost(hosts, vs.namespace, exportTo, host);
      if (service === undefined) {
        const what = d.mirror ? 'mirror host' : 'host';
        messages.push(
          newMessage(
            'ReferencedResourceNotFound',
            vs,
            `Referenced ${what} not found: ${quoted(host)}`,
            `${d.path}.host`,
          ),
        );
        continue;
      }
      const problem = portProblem(vs, d, service);
      if (problem !== undefined) messages.push(problem);
    }
  }
  return messages;
}

function portProblem(
  vs: AnalysisResource,
  d: AnnotatedDestination,
  service: ServiceHost,
): AnalysisMessage | undefined {
  const host = d.destination.host ?? '';
  const at = `${d.path}.host`;
  const port = d.destination.port?.number;
  if (port === undefined) {
    if (service.ports.length <= 1) return undefined;
    return newMessage(
      'VirtualServiceDestinationPortSelectorRequired',
      vs,
      `This VirtualService routes to a service ${quoted(host)} that exposes multiple ports ` +
        `${goList(service.ports.map((p) => p.number))}. Specifying a port in the destination is required to disambiguate.`,
      at,
    );
  }
  if (service.ports.some((p) => p.number === port)) return undefined;
  return newMessage(
    'ReferencedResourceNotFound',
    vs,
    `Referenced host:port not found: ${quoted(`${host}:${port}`)}`,
    at,
  );
}
