import type {
  AuthorizationAction,
  AuthorizationModel,
  AuthorizationPolicyModel,
} from './authorization-model.js';
import {
  requestAttributes,
  type AuthorizationRequest,
  type RequestAttributes,
} from './authorization-request.js';
import type { PathNormalization } from './http-path.js';
import { evaluateRule } from './rule-evaluation.js';

/**
 * The authorization decision for one request, in the order the sidecar's filters run and with the
 * outcome istio.io documents: (1) a matching CUSTOM policy hands the request to its ext-authz
 * provider, which may deny; (2) any matching DENY policy denies; (3) without ALLOW policies the
 * request is allowed; (4) a matching ALLOW policy allows; (5) otherwise it is denied. AUDIT only marks
 * the request. Dry-run policies are evaluated into `shadow` and never change the decision; when only
 * dry-run ALLOW policies exist, the workload behaves as if it had no ALLOW policy, as istiod then
 * builds no enforcing ALLOW filter.
 */

export type AuthorizationDecisionCode =
  /** The sidecar answers 400 before authorization (`%00` in the path, a method not in upper case). */
  | 'MALFORMED_REQUEST'
  /** A CUSTOM rule matched and the ext-authz provider denied. */
  | 'CUSTOM_DENIED'
  /** A CUSTOM rule matched but its provider is unusable, so istiod turned the rule into a deny. */
  | 'CUSTOM_MISCONFIGURED'
  | 'DENY_MATCHED'
  | 'ALLOW_MATCHED'
  /** ALLOW policies apply to the workload and none matches: "RBAC: access denied". */
  | 'NO_ALLOW_MATCHED'
  /** No ALLOW policy applies to the workload. */
  | 'NO_ALLOW_POLICY';

export interface ExtAuthzCheck {
  provider: string;
  /** The CUSTOM rule that sent the request to the provider. */
  policy: string;
  verdict: 'ALLOW' | 'DENY';
  /** True when no verdict was supplied and the provider was assumed to allow. */
  assumed: boolean;
}

/** What the dry-run policies of one action decide on their own (Envoy's shadow engine result). */
export interface ShadowResult {
  action: AuthorizationAction;
  /**
   * ALLOW: allowed only when a dry-run ALLOW rule matches. DENY: denied when one matches. AUDIT and
   * CUSTOM never deny here: dry-run CUSTOM rules are not sent to the provider, so `policy` only
   * says which rule would have sent the request there.
   */
  result: 'ALLOW' | 'DENY';
  /** The first matching dry-run rule by name (Envoy's `shadow_effective_policy_id`). */
  policy?: string;
  /** False when an earlier stage denied the request, so the proxy never evaluates these rules. */
  reached: boolean;
}

export interface AuthorizationDecision {
  decision: 'ALLOW' | 'DENY';
  code: AuthorizationDecisionCode;
  reason: string;
  /** The RBAC policy (rule) name that decided, when one did. */
  policy?: string;
  extAuthz?: ExtAuthzCheck;
  /** The AUDIT rule that marks the request for auditing, if any. */
  audit?: string;
  shadow: ShadowResult[];
  /** Rules skipped or widened, attributes the request lacks: what `meshctl` should explain. */
  notes: string[];
}

export interface AuthorizationEvaluationOptions {
  /** `meshConfig.pathNormalization.normalization`; `BASE` by default, as in Istio. */
  pathNormalization?: PathNormalization;
  /**
   * The ext-authz provider's verdict for a request a CUSTOM rule selected (the proxy asks the
   * provider; `meshctl` may ask the user). Without it the provider is assumed to allow.
   */
  extAuthz?: (check: { provider: string; policy: string; request: AuthorizationRequest }) => 'ALLOW' | 'DENY';
}

/** Envoy keeps RBAC policies in a sorted map and reports the first match, so the smallest name wins. */
function firstMatchingRule(
  policies: readonly AuthorizationPolicyModel[],
  dryRun: boolean,
  attrs: RequestAttributes,
  notes: Set<string>,
): { rule: string; policy: AuthorizationPolicyModel } | undefined {
  let first: { rule: string; policy: AuthorizationPolicyModel } | undefined;
  for (const policy of policies.filter((p) => p.dryRun === dryRun)) {
    for (const rule of policy.rules) {
      const result = evaluateRule(rule, policy.action, policy.namespace, attrs);
      result.notes.forEach((note) => notes.add(note));
      if (result.matched && (first === undefined || rule.name < first.rule))
        first = { rule: rule.name, policy };
    }
  }
  return first;
}

function shadowResults(
  model: AuthorizationModel,
  attrs: RequestAttributes,
  notes: Set<string>,
  reached: (action: AuthorizationAction) => boolean,
): ShadowResult[] {
  const results: ShadowResult[] = [];
  for (const action of ['CUSTOM', 'AUDIT', 'DENY', 'ALLOW'] as const) {
    if (!model.policies[action].some((policy) => policy.dryRun)) continue;
    const rule = firstMatchingRule(model.policies[action], true, attrs, notes)?.rule;
    const denied = action === 'DENY' ? rule !== undefined : action === 'ALLOW' ? rule === undefined : false;
    results.push({
      action,
      result: denied ? 'DENY' : 'ALLOW',
      ...(rule === undefined ? {} : { policy: rule }),
      reached: reached(action),
    });
  }
  return results;
}

/** Evaluates `request` against the workload's authorization `model`. */
export function evaluateAuthorization(
  model: AuthorizationModel,
  request: AuthorizationRequest,
  options: AuthorizationEvaluationOptions = {},
): AuthorizationDecision {
  const attrs = requestAttributes(request, options.pathNormalization);
  if (attrs.malformed !== undefined) {
    return { decision: 'DENY', code: 'MALFORMED_REQUEST', reason: attrs.malformed, shadow: [], notes: [] };
  }
  const notes = new Set<string>();
  const { policies } = model;
  let deniedAt: 'CUSTOM' | 'DENY' | undefined;
  const finish = (decision: Omit<AuthorizationDecision, 'shadow' | 'notes'>): AuthorizationDecision => {
    // Filters after the one that denied never run, so neither do their shadow rules.
    const reached = (action: AuthorizationAction) =>
      deniedAt === undefined || (deniedAt === 'DENY' && action !== 'ALLOW') || action === 'CUSTOM';
    const shadow = shadowResults(model, attrs, notes, reached);
    return { ...decision, shadow, notes: [...notes] };
  };

  let extAuthz: ExtAuthzCheck | undefined;
  const custom = policies.CUSTOM.some((policy) => !policy.dryRun)
    ? firstMatchingRule(policies.CUSTOM, false, attrs, notes)
    : undefined;
  if (custom !== undefined && model.customProblem !== undefined) {
    deniedAt = 'CUSTOM';
    return finish({
      decision: 'DENY',
      code: 'CUSTOM_MISCONFIGURED',
      reason: `${model.customProblem}; istiod denies whatever the CUSTOM rules match`,
      policy: `${custom.rule}-deny-due-to-bad-CUSTOM-action`,
    });
  }
  if (custom !== undefined && attrs.isTcp && model.customProviderKind === 'envoyExtAuthzHttp') {
    notes.add('CUSTOM policies use an HTTP ext-authz provider, which istiod does not apply to TCP traffic');
  } else if (custom !== undefined) {
    const provider = custom.policy.provider ?? '';
    const verdict = options.extAuthz?.({ provider, policy: custom.rule, request });
    extAuthz = { provider, policy: custom.rule, verdict: verdict ?? 'ALLOW', assumed: verdict === undefined };
    if (extAuthz.verdict === 'DENY') {
      deniedAt = 'CUSTOM';
      return finish({
        decision: 'DENY',
        code: 'CUSTOM_DENIED',
        reason: `the ext-authz provider ${JSON.stringify(provider)} denied the request`,
        policy: custom.rule,
        extAuthz,
      });
    }
  }
  const withExtAuthz = extAuthz === undefined ? {} : { extAuthz };
  const audited = firstMatchingRule(policies.AUDIT, false, attrs, notes)?.rule;
  const withAudit = audited === undefined ? {} : { audit: audited };

  const deny = firstMatchingRule(policies.DENY, false, attrs, notes);
  if (deny !== undefined) {
    deniedAt = 'DENY';
    return finish({
      decision: 'DENY',
      code: 'DENY_MATCHED',
      reason: `denied by DENY policy ${deny.policy.name}.${deny.policy.namespace}`,
      policy: deny.rule,
      ...withExtAuthz,
      ...withAudit,
    });
  }

  const enforcedAllow = policies.ALLOW.filter((policy) => !policy.dryRun);
  if (enforcedAllow.length === 0) {
    const reason = 'no ALLOW policy applies to the workload, so the request is allowed';
    return finish({ decision: 'ALLOW', code: 'NO_ALLOW_POLICY', reason, ...withExtAuthz, ...withAudit });
  }
  const allow = firstMatchingRule(enforcedAllow, false, attrs, notes);
  if (allow !== undefined) {
    return finish({
      decision: 'ALLOW',
      code: 'ALLOW_MATCHED',
      reason: `allowed by ALLOW policy ${allow.policy.name}.${allow.policy.namespace}`,
      policy: allow.rule,
      ...withExtAuthz,
      ...withAudit,
    });
  }
  const names = enforcedAllow.map((policy) => `${policy.name}.${policy.namespace}`).join(', ');
  return finish({
    decision: 'DENY',
    code: 'NO_ALLOW_MATCHED',
    reason: `ALLOW policies apply to the workload (${names}) but none matches the request`,
    ...withExtAuthz,
    ...withAudit,
  });
}
