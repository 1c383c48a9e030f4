import type { DescribedService } from '@mesh/xds';

import type { DescribeResult } from './describe-result.js';
import { renderObject, type OutputFormat } from './render-output.js';

/** `describe pod`'s text, in the order and with the prefixes of istioctl's `x describe pod`. */

function serviceLines(service: DescribedService): string[] {
  const lines = [`Service: ${service.host}`];
  for (const p of service.ports)
    lines.push(`   Port: ${p.name} ${p.port}/${p.protocol} targets pod port ${p.targetPort}`);
  const rule = service.destinationRule;
  if (rule) {
    lines.push(`DestinationRule: ${rule.name} for "${service.host}"`);
    if (rule.matchingSubsets.length > 0 || rule.nonMatchingSubsets.length > 0) {
      if (rule.matchingSubsets.length > 0)
        lines.push(`   Matching subsets: ${rule.matchingSubsets.join(',')}`);
      else lines.push('   WARNING POD DOES NOT MATCH ANY SUBSETS.');
      if (rule.nonMatchingSubsets.length > 0)
        lines.push(`      (Non-matching subsets ${rule.nonMatchingSubsets.join(',')})`);
    }
    lines.push(
      rule.tlsMode ? `   Traffic Policy TLS Mode: ${rule.tlsMode}` : '   No Traffic Policy TLS Mode',
    );
    if (rule.portTls.length > 0) {
      lines.push('   Port Level Settings:');
      for (const p of rule.portTls) lines.push(`    ${p.port}:`, `      TLS Mode: ${p.mode}`);
    }
  }
  for (const vs of service.virtualServices) {
    lines.push(`VirtualService: ${vs.name}`);
    for (const d of vs.destinations)
      lines.push(
        `   Route to host "${service.host}"${d.subset ? ` subset "${d.subset}"` : ''}${d.weight === undefined ? '' : ` with weight ${d.weight}%`}`,
      );
    if (!vs.reachesWorkload) lines.push('   WARNING: No destinations match pod subsets');
    const counts = [
      [vs.httpRoutes, 'HTTP'],
      [vs.tcpRoutes, 'TCP'],
      [vs.tlsRoutes, 'TLS'],
    ] as const;
    for (const [n, kind] of counts) if (n > 0) lines.push(`   ${n} ${kind} route(s)`);
  }
  return lines;
}

export function renderDescribe(result: DescribeResult, format: OutputFormat): string {
  const object = renderObject(result, format);
  if (object !== undefined) return object;
  const lines = [`Pod: ${result.instance}.${result.namespace}`];
  if (result.services.length === 0) lines.push(`Warning: No Services select pod ${result.instance}`);
  for (const service of result.services) lines.push('--------------------', ...serviceLines(service));
  lines.push(
    '--------------------',
    'Effective PeerAuthentication:',
    `   Workload mTLS mode: ${result.mtls.mode}`,
  );
  const portModes = result.mtls.ports.filter((p) => p.mode !== result.mtls.mode);
  if (portModes.length > 0)
    lines.push('   Port Level mTLS mode:', ...portModes.map((p) => `      ${p.port}: ${p.mode}`));
  lines.push(
    result.mtls.applied.length > 0
      ? `Applied PeerAuthentication:\n   ${result.mtls.applied.join(', ')}`
      : 'Applied PeerAuthentication: none (Istio default: PERMISSIVE)',
  );
  lines.push(
    result.policies.length > 0
      ? `AuthorizationPolicies:\n${result.policies.map((p) => `   ${p.action} ${p.name}.${p.namespace} (${p.rules} rule(s))${p.dryRun ? ' dry-run' : ''}`).join('\n')}`
      : 'AuthorizationPolicies: none',
  );
  return lines.join('\n');
}
