import {
  AUTHORIZATION_STAGE_ORDER,
  type AuthorizationAction,
  type AuthorizationModel,
  type AuthorizationPolicyModel,
} from '@mesh/policy';

import { filterOf, KNOWN_FILTERS, type KnownFilter } from '../../../envoy/known-filters.js';
import { rbacPolicyOf } from './rbac-policy.js';

/**
 * The workload's AuthorizationPolicies as Envoy RBAC filters, as istiod's `authz/builder` emits them
 * for a sidecar: one filter per action in the order CUSTOM, AUDIT, DENY, ALLOW, each holding one Envoy
 * policy per rule (`ns[<ns>]-policy[<name>]-rule[<i>]`); dry-run policies go to `shadow_rules`.
 */

type Obj = Record<string, unknown>;

/** Istio's `RBACTCPFilterStatPrefix`. */
const TCP_STAT_PREFIX = 'tcp.';

const ENVOY_ACTION: Record<AuthorizationAction, string> = {
  // Only reached when ext-authz is misconfigured: istiod then denies what the CUSTOM rules match.
  CUSTOM: 'DENY',
  AUDIT: 'LOG',
  DENY: 'DENY',
  ALLOW: 'ALLOW',
};

/** Istio's `shadowRuleStatPrefix`: dry-run stats by action; LOG has none. */
const SHADOW_STAT_PREFIX: Partial<Record<AuthorizationAction, string>> = {
  ALLOW: 'istio_dry_run_allow_',
  DENY: 'istio_dry_run_deny_',
};

export type RbacChain = 'http' | 'tcp';

/**
 * Filter names: istiod names every one `envoy.filters.http.rbac` (or `...network.rbac`), but our
 * listener validation (like Envoy's HCM config dump tooling) wants unique HTTP filter names, so the
 * stage is appended.
 */
function rbacFilterOf(chain: RbacChain): KnownFilter {
  return chain === 'http' ? KNOWN_FILTERS.httpRbac : KNOWN_FILTERS.networkRbac;
}

function rbacConfig(
  policies: readonly AuthorizationPolicyModel[],
  action: AuthorizationAction,
  chain: RbacChain,
): Obj {
  const enforced: Record<string, Obj> = {};
  const shadow: Record<string, Obj> = {};
  let hasEnforced = false;
  let hasShadow = false;
  for (const policy of policies) {
    // ext-authz has no dry-run: a misconfigured CUSTOM policy is always enforced as a deny.
    const dryRun = policy.dryRun && action !== 'CUSTOM';
    const target = dryRun ? shadow : enforced;
    if (dryRun) hasShadow = true;
    else hasEnforced = true;
    for (const rule of policy.rules) {
      const generated = rbacPolicyOf(rule, {
        forTcp: chain === 'tcp',
        action,
        policyNamespace: policy.namespace,
      });
      if (generated) target[rule.name] = generated;
    }
  }
  const envoyAction = ENVOY_ACTION[action];
  const shadowPrefix = SHADOW_STAT_PREFIX[action];
  return {
    ...(chain === 'tcp' ? { stat_prefix: TCP_STAT_PREFIX } : {}),
    ...(hasEnforced ? { rules: { action: envoyAction, policies: enforced } } : {}),
    ...(hasShadow ? { shadow_rules: { action: envoyAction, policies: shadow } } : {}),
    ...(hasShadow && shadowPrefix ? { shadow_rules_stat_prefix: shadowPrefix } : {}),
  };
}

/**
 * The RBAC filters of one inbound chain (`http`: HCM filters; `tcp`: network filters), in order.
 * An ALLOW stage whose rules all fail to translate still yields an ALLOW filter with no policies,
 * which denies everything, as in Istio. CUSTOM policies need an ext_authz filter, which we do not
 * generate yet: they are skipped unless their provider is misconfigured, when istiod denies instead.
 */
export function buildRbacFilters(authorization: AuthorizationModel, chain: RbacChain): Obj[] {
  const filters: Obj[] = [];
  for (const action of AUTHORIZATION_STAGE_ORDER) {
    const policies = authorization.policies[action];
    if (policies.length === 0) continue;
    if (action === 'CUSTOM' && authorization.customProblem === undefined) continue;
    const kind = rbacFilterOf(chain);
    filters.push(filterOf(kind, rbacConfig(policies, action, chain), `${kind.name}.${action.toLowerCase()}`));
  }
  return filters;
}
