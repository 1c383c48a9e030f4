import type { AuthzCheckReport } from '@mesh/xds';

import type { DiagnoseMesh } from './diagnose-mesh.js';
import { renderObject, table, type OutputFormat } from './render-output.js';

/**
 * What `meshctl authz check` found, and its rendering: istioctl's `x authz check` table (`ACTION
 * AuthorizationPolicy RULES`, policies as `name.namespace`, AUDIT for Envoy's LOG), then, for a
 * described request, the decision and the rule (Envoy RBAC policy name) or default that decided.
 */

export interface AuthzCheckResult extends AuthzCheckReport {
  source: DiagnoseMesh['source'];
  /** The instance whose sidecar config was checked. */
  instance: string;
}

const ACTION_NAMES = { ALLOW: 'ALLOW', DENY: 'DENY', LOG: 'AUDIT' } as const;

function describeRequest(result: AuthzCheckResult): string {
  const request = result.request;
  if (request === undefined) return '';
  const from = request.principal ? `spiffe://${request.principal}` : 'a plaintext caller (no identity)';
  const what =
    request.protocol === 'http'
      ? `${request.method ?? 'GET'} ${request.path ?? '/'}${Object.keys(request.headers ?? {}).length ? ` with headers ${Object.keys(request.headers ?? {}).join(', ')}` : ''}`
      : 'a TCP connection';
  return `Request: ${what} on port ${request.port} from ${from}${request.sourceIp ? ` (${request.sourceIp})` : ''}`;
}

export function renderAuthzCheckText(result: AuthzCheckResult): string {
  const lines = [`Workload: ${result.instance} (namespace ${result.namespace})`];
  if (result.policies.length === 0) lines.push('No authorization policy applies: every request is allowed.');
  else
    lines.push(
      table(
        ['ACTION', 'AuthorizationPolicy', 'RULES'],
        result.policies.map((p) => [
          ACTION_NAMES[p.action],
          `${p.name}.${p.namespace}${p.dryRun ? ' (dry-run)' : ''}`,
          String(p.rules),
        ]),
      ),
    );
  const decision = result.result;
  if (decision === undefined) return lines.join('\n');
  lines.push('', describeRequest(result), `Decision: ${decision.decision}`, `  ${decision.reason}`);
  if (decision.rule) lines.push(`  RBAC policy: ${decision.rule.key}`);
  if (decision.response) lines.push(`  The client gets: ${decision.response}`);
  for (const dry of decision.dryRun) lines.push(`  Dry-run: ${dry.policy} would have ${dry.effect} it`);
  return lines.join('\n');
}

export function renderAuthzCheck(result: AuthzCheckResult, format: OutputFormat): string {
  return renderObject(result, format) ?? renderAuthzCheckText(result);
}
