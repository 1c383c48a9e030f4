import { hostsOverlap } from '../validation/rules/hosts.js';
import { specOf, type AnalysisContext } from './analysis-context.js';
import { goList, newMessage, quoted, type AnalysisMessage } from './messages.js';

const MESH_GATEWAY = 'mesh';

/**
 * Istio's `virtualservice.GatewayAnalyzer`: every Gateway a VirtualService binds to exists (IST0101),
 * and exposes at least one of the VirtualService's hosts to the VirtualService's namespace (IST0132;
 * otherwise the routes are never attached to the gateway's listeners).
 */
export function analyzeVirtualServiceGateways(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  for (const vs of ctx.ofKind('VirtualService')) {
    const spec = specOf(vs, 'VirtualService');
    const vsHosts = spec.hosts ?? [];
    (spec.gateways ?? []).forEach((reference, index) => {
      if (reference === MESH_GATEWAY) return;
      const at = `spec.gateways[${index}]`;
      const slash = reference.indexOf('/');
      const namespace = slash < 0 ? vs.namespace : reference.slice(0, slash);
      const name = slash < 0 ? reference : reference.slice(slash + 1);
      const gateway = ctx.find('Gateway', namespace, name);
      if (gateway === undefined)
        messages.push(
          newMessage(
            'ReferencedResourceNotFound',
            vs,
            `Referenced gateway not found: ${quoted(reference)}`,
            at,
          ),
        );
      // istioctl also says the hosts are not in a gateway that does not exist; IST0101 says enough.
      if (gateway === undefined) return;
      const gatewayHosts = (specOf(gateway, 'Gateway').servers ?? []).flatMap((server) =>
        serverHostsFor(server.hosts ?? [], gateway.namespace, vs.namespace),
      );
      if (!gatewayHosts.some((gh) => vsHosts.some((h) => hostsOverlap(gh, h))))
        messages.push(
          newMessage(
            'VirtualServiceHostNotFoundInGateway',
            vs,
            `one or more host ${goList(vsHosts)} defined in VirtualService ${vs.namespace}/${vs.name} ` +
              `not found in Gateway ${namespace}/${name}.`,
            at,
          ),
        );
    });
  }
  return messages;
}

/**
 * The hosts a server exposes to VirtualServices of `vsNamespace`: `ns/host` only to `ns` (`.` is the
 * gateway's namespace, `*` every namespace), a bare host to all.
 */
function serverHostsFor(hosts: readonly string[], gatewayNamespace: string, vsNamespace: string): string[] {
  const result: string[] = [];
  for (const host of hosts) {
    const slash = host.indexOf('/');
    if (slash < 0) {
      result.push(host);
      continue;
    }
    const scope = host.slice(0, slash);
    const name = host.slice(slash + 1);
    const namespace = scope === '.' ? gatewayNamespace : scope;
    if (namespace === '*' || namespace === vsNamespace) result.push(name);
  }
  return result;
}
