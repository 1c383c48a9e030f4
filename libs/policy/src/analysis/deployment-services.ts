import { selectorMatches } from '../evaluation/workload-selection.js';
import { list, record, workloadInMesh, type AnalysisContext } from './analysis-context.js';
import type { AnalysisResource } from './analysis-input.js';
import { goList, newMessage, quoted, type AnalysisMessage } from './messages.js';

/**
 * Istio's `deployment.MultiServiceAnalyzer`: the Services selecting a meshed Deployment's pods must
 * agree on each port's protocol (IST0116: the sidecar has one listener per port) and map each target
 * port from a single port (IST0137: the inbound cluster is per target port).
 */
export function analyzeDeploymentServices(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  for (const deployment of ctx.workloads()) {
    if (deployment.kind !== 'Deployment' || !workloadInMesh(deployment, ctx)) continue;
    const resource = ctx.find('Deployment', deployment.namespace, deployment.name) as AnalysisResource;
    const services = ctx.ofKind('Service').filter((service) => {
      const selector = record(record(service.object['spec'])['selector']) as Record<string, string>;
      return (
        service.namespace === deployment.namespace &&
        Object.keys(selector).length > 0 &&
        selectorMatches({ matchLabels: selector }, deployment.labels)
      );
    });
    /** port → protocol → services; target port → port → service. */
    const protocols = new Map<number, Map<string, string[]>>();
    const targets = new Map<string, Map<number, string>>();
    for (const service of services) {
      const name = `${service.namespace}/${service.name}`;
      for (const value of list(record(service.object['spec'])['ports'])) {
        const port = record(value);
        const number = Number(port['port']);
        const protocol = typeof port['protocol'] === 'string' ? port['protocol'] : 'TCP';
        const byProtocol = protocols.get(number) ?? new Map<string, string[]>();
        byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), name]);
        protocols.set(number, byProtocol);
        const target = port['targetPort'];
        const targetPort =
          target === undefined || target === 0 || target === '' ? String(number) : String(target);
        const byPort = targets.get(targetPort) ?? new Map<number, string>();
        byPort.set(number, name);
        targets.set(targetPort, byPort);
      }
    }
    for (const [port, byProtocol] of protocols) {
      if (byProtocol.size < 2) continue;
      const names = [...byProtocol.values()].flat().sort();
      messages.push(
        newMessage(
          'DeploymentAssociatedToMultipleServices',
          resource,
          `This deployment ${deployment.name} is associated with multiple services using port ${port} but different ` +
            `protocols: ${goList(names)}`,
          'metadata.name',
        ),
      );
    }
    for (const [targetPort, byPort] of targets) {
      if (byPort.size < 2) continue;
      messages.push(
        newMessage(
          'DeploymentConflictingPorts',
          resource,
          `This deployment ${deployment.name} is associated with multiple services ${goList([...byPort.values()].sort())} ` +
            `using targetPort ${quoted(targetPort)} but different ports: ${goList([...byPort.keys()].sort((a, b) => a - b))}.`,
          'metadata.name',
        ),
      );
    }
  }
  return messages;
}
