import type { MeshSnapshot } from '@mesh/registry';

import {
  DEFAULT_MESH_SETTINGS,
  type MeshSettings,
  type SidecarProxy,
} from '../generation/sidecar/sidecar-context.js';
import type { EnvoyRbacConfig, EnvoyRbacRules } from '../envoy/rbac-engine.js';
import type { ProxyConfig } from '../envoy/proxy-config.js';
import { sidecarConfig, simulate } from '../simulation/simulate.js';
import type { HttpHeaders, InboundResult } from '../simulation/simulation-types.js';

/**
 * `meshctl authz check`: the AuthorizationPolicies a workload's sidecar enforces, read from the Envoy
 * RBAC filters istiod generates for it (as `istioctl x authz check` reads a config dump), and, for a
 * described request, the decision those filters take with the rule that decided, computed by the
 * simulation over the same RBAC engine the proxy runs (DESIGN.md §3).
 */

/** The RBAC policy name Istio gives each rule (`authz/builder`): `ns[<ns>]-policy[<name>]-rule[<i>]`. */
const RULE_KEY = /^ns\[([^\]]*)\]-policy\[([^\]]*)\]-rule\[(\d+)\]$/;

export interface RuleRef {
  namespace: string;
  name: string;
  rule: number;
  /** The Envoy RBAC policy name, as the access log and the denials metric carry it. */
  key: string;
}

export function parseRuleKey(key: string): RuleRef | undefined {
  const match = RULE_KEY.exec(key);
  return match ? { namespace: match[1] ?? '', name: match[2] ?? '', rule: Number(match[3]), key } : undefined;
}

export interface AppliedPolicy {
  /** Envoy's RBAC action: LOG is Istio's AUDIT; a misconfigured CUSTOM shows as DENY. */
  action: 'ALLOW' | 'DENY' | 'LOG';
  namespace: string;
  name: string;
  rules: number;
  dryRun: boolean;
}

/** The request to decide, as the server's sidecar sees it. */
export interface AuthzRequest {
  /** The target port the request arrives on. */
  port: number;
  protocol: 'http' | 'tcp';
  /** The caller's verified SPIFFE identity without `spiffe://`; absent: a plaintext caller. */
  principal?: string;
  sourceIp?: string;
  method?: string;
  path?: string;
  host?: string;
  headers?: HttpHeaders;
}

export interface AuthzDecision {
  decision: 'ALLOW' | 'DENY' | 'REFUSED';
  /** The rule that decided, when one did. */
  rule?: RuleRef;
  /** What decided, in words: the rule, the default, or why the request never reached RBAC. */
  reason: string;
  /** What the client gets: 403 `RBAC: access denied` or a closed connection on DENY. */
  response?: string;
  /** Dry-run policies' verdicts (reported, never enforced). */
  dryRun: { policy: string; effect: 'allowed' | 'denied' }[];
}

export interface AuthzCheckReport {
  proxy: string;
  namespace: string;
  policies: AppliedPolicy[];
  request?: AuthzRequest;
  result?: AuthzDecision;
}

/** What a client sidecar offers in its mTLS ClientHello (Istio's ALPN override). */
const SIDECAR_ALPN = { http: ['istio-http/1.1', 'istio', 'http/1.1'], tcp: ['istio-peer-exchange', 'istio'] };

const ACTION_ORDER = { DENY: 0, ALLOW: 1, LOG: 2 } as const;

function collect(into: Map<string, AppliedPolicy>, rules: EnvoyRbacRules | undefined, dryRun: boolean): void {
  for (const key of Object.keys(rules?.policies ?? {})) {
    const ref = parseRuleKey(key);
    if (ref === undefined) continue;
    const action = rules?.action ?? 'ALLOW';
    const id = `${action}|${ref.namespace}|${ref.name}|${dryRun}`;
    const entry = into.get(id) ?? { action, namespace: ref.namespace, name: ref.name, rules: 0, dryRun };
    entry.rules = Math.max(entry.rules, ref.rule + 1);
    into.set(id, entry);
  }
}

/** Every policy of the inbound listener's RBAC filters, DENY first, then ALLOW, then AUDIT (istioctl's order). */
export function appliedPolicies(config: ProxyConfig): AppliedPolicy[] {
  const found = new Map<string, AppliedPolicy>();
  const configs: EnvoyRbacConfig[] = [];
  for (const chain of config.chains.get('virtualInbound')?.values() ?? [])
    configs.push(...chain.rbac, ...(chain.http?.rbac ?? []));
  for (const rbac of configs) {
    collect(found, rbac.rules, false);
    collect(found, rbac.shadow_rules, true);
  }
  return [...found.values()].sort(
    (a, b) =>
      ACTION_ORDER[a.action] - ACTION_ORDER[b.action] ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name) ||
      Number(a.dryRun) - Number(b.dryRun),
  );
}

function decisionOf(result: InboundResult, request: AuthzRequest): AuthzDecision {
  const dryRun = (result.rbac?.shadow ?? []).map((s) => ({ policy: s.policy ?? 'none', effect: s.effect }));
  if (result.error !== undefined && result.denied === undefined)
    return { decision: 'REFUSED', reason: `the request does not reach RBAC: ${result.error}`, dryRun };
  const response = request.protocol === 'http' ? '403 RBAC: access denied' : 'connection closed';
  const rule = result.rbac?.policy === undefined ? undefined : parseRuleKey(result.rbac.policy);
  if (result.denied !== undefined) {
    if (rule !== undefined)
      return {
        decision: 'DENY',
        rule,
        reason: `denied by ${rule.name}.${rule.namespace} rule ${rule.rule}`,
        response,
        dryRun,
      };
    return {
      decision: 'DENY',
      reason: 'denied by default: ALLOW policies apply and none of their rules matches',
      response,
      dryRun,
    };
  }
  if (rule !== undefined)
    return {
      decision: 'ALLOW',
      rule,
      reason: `allowed by ${rule.name}.${rule.namespace} rule ${rule.rule}`,
      dryRun,
    };
  return {
    decision: 'ALLOW',
    reason:
      result.rbac === undefined
        ? 'allowed by default: no authorization policy applies'
        : 'allowed by default: no ALLOW policy applies and no DENY rule matches',
    dryRun,
  };
}

/** The policies `server` enforces and, when `request` is given, its decision for it. */
export function authzCheck(
  snapshot: MeshSnapshot,
  server: SidecarProxy,
  request?: AuthzRequest,
  mesh: Partial<MeshSettings> = {},
): AuthzCheckReport {
  const config = sidecarConfig(snapshot, server, { ...DEFAULT_MESH_SETTINGS, ...mesh });
  const report: AuthzCheckReport = {
    proxy: server.id,
    namespace: server.namespace,
    policies: appliedPolicies(config),
  };
  if (request === undefined) return report;
  const mtls = request.principal !== undefined;
  const result = simulate(config, {
    direction: 'inbound',
    port: request.port,
    protocol: request.protocol,
    tls: mtls,
    ...(mtls ? { sourcePrincipal: request.principal, alpn: SIDECAR_ALPN[request.protocol] } : {}),
    ...(request.sourceIp === undefined ? {} : { sourceIp: request.sourceIp }),
    ...(server.ipAddresses[0] === undefined ? {} : { destinationIp: server.ipAddresses[0] }),
    ...(request.method === undefined ? {} : { method: request.method }),
    ...(request.path === undefined ? {} : { path: request.path }),
    ...(request.host === undefined ? {} : { host: request.host }),
    ...(request.headers === undefined ? {} : { headers: request.headers }),
  });
  return { ...report, request, result: decisionOf(result, request) };
}
