import { hostsOverlap } from '../validation/rules/hosts.js';
import { selectorString, specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/**
 * Istio's `gateway.ConflictingGatewayAnalyzer`: two Gateways with the same workload selector (so the
 * same gateway pods, whatever their namespaces) that serve overlapping hosts on the same port
 * (IST0145, on each server of each of them): the listener gets two claims on one host and port.
 */
export function analyzeConflictingGateways(ctx: AnalysisContext): AnalysisMessage[] {
  /** `selector~port` → gateway (`ns/name`) → the hosts of its servers on that port. */
  const byPort = new Map<string, Map<string, string[]>>();
  for (const gateway of ctx.ofKind('Gateway')) {
    const spec = specOf(gateway, 'Gateway');
    const selector = selectorString(spec.selector ?? {});
    for (const server of spec.servers ?? []) {
      const key = `${selector}~${server.port?.number ?? 0}`;
      const gateways = byPort.get(key) ?? new Map<string, string[]>();
      const name = `${gateway.namespace}/${gateway.name}`;
      gateways.set(name, [...(gateways.get(name) ?? []), ...(server.hosts ?? [])]);
      byPort.set(key, gateways);
    }
  }
  const messages: AnalysisMessage[] = [];
  for (const gateway of ctx.ofKind('Gateway')) {
    const spec = specOf(gateway, 'Gateway');
    const selector = selectorString(spec.selector ?? {});
    const name = `${gateway.namespace}/${gateway.name}`;
    for (const server of spec.servers ?? []) {
      const port = server.port?.number ?? 0;
      const hosts = server.hosts ?? [];
      const conflicting = [...(byPort.get(`${selector}~${port}`) ?? [])]
        .filter(
          ([other, otherHosts]) =>
            other !== name && hosts.some((h) => otherHosts.some((o) => hostsOverlap(h, o))),
        )
        .map(([other]) => other)
        .sort();
      if (conflicting.length === 0) continue;
      messages.push(
        newMessage(
          'ConflictingGateways',
          gateway,
          `Conflict with gateways ${conflicting.join(',')} (workload selector ${selector}, port ${port}, ` +
            `hosts ${hosts.join(',')}).`,
        ),
      );
    }
  }
  return messages;
}
