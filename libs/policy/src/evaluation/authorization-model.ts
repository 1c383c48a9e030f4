import type { AuthorizationPolicy } from '../api/resources.js';
import type { Condition, Operation, Source } from '../api/security/authorization-policy.js';
import {
  DEFAULT_ROOT_NAMESPACE,
  policiesInScope,
  policyAttaches,
  policyRef,
  type PolicyWorkload,
} from './workload-selection.js';

/**
 * The AuthorizationPolicies that apply to one workload, as plain data: what istiod turns into the
 * workload's RBAC filters, what the proxy enforces and what `meshctl` explains. Scope follows Istio
 * (`AuthorizationPolicies.ListAuthorizationPolicies`): root-namespace policies apply mesh-wide, the
 * others to their namespace, narrowed by `selector` or `targetRef(s)`. Rules carry Envoy's RBAC policy
 * names (`pilot/pkg/security/authz/builder/builder.go`).
 */

export type AuthorizationAction = 'CUSTOM' | 'DENY' | 'ALLOW' | 'AUDIT';

/** The order the sidecar's filters run in: ext-authz, then AUDIT (log only), DENY, ALLOW. */
export const AUTHORIZATION_STAGE_ORDER: readonly AuthorizationAction[] = ['CUSTOM', 'AUDIT', 'DENY', 'ALLOW'];

/** `metadata.annotations` key that turns a policy into a shadow (dry-run) policy. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

/** Prefix of CUSTOM rules: the ext_authz filter only calls the provider when such a rule matched. */
export const EXT_AUTHZ_RULE_PREFIX = 'istio-ext-authz-';

/** `meshConfig.extensionProviders` kinds usable by CUSTOM; only gRPC providers also check TCP. */
export type ExtAuthzProviderKind = 'envoyExtAuthzHttp' | 'envoyExtAuthzGrpc';

export interface AuthorizationRuleModel {
  /** The RBAC policy name, e.g. `ns[default]-policy[allow-frontend]-rule[0]`. */
  name: string;
  /** `from[].source`, ORed; an entry without `source` is `{}` and matches any source. */
  from: Source[];
  /** `to[].operation`, ORed; an entry without `operation` is `{}` and matches any operation. */
  to: Operation[];
  /** `when`, ANDed. */
  when: Condition[];
  /** Set when the rule can never match, with why (a policy without rules, an unknown `when` key). */
  neverMatches?: string;
}

export interface AuthorizationPolicyModel {
  namespace: string;
  name: string;
  action: AuthorizationAction;
  /** `provider.name` of a CUSTOM policy. */
  provider?: string;
  /** `istio.io/dry-run: "true"`: evaluated and reported, never enforced. */
  dryRun: boolean;
  rules: AuthorizationRuleModel[];
}

export interface AuthorizationModel {
  rootNamespace: string;
  workload: PolicyWorkload;
  /** The policies that apply, by action, each in Istio's order (root namespace first, oldest first). */
  policies: Record<AuthorizationAction, AuthorizationPolicyModel[]>;
  /** The kind of the single ext-authz provider CUSTOM policies use, when known. */
  customProviderKind?: ExtAuthzProviderKind;
  /**
   * Why istiod cannot configure ext-authz for the CUSTOM policies (an undefined provider, or several
   * providers on one workload); it then denies whatever the CUSTOM rules match instead.
   */
  customProblem?: string;
}

export interface AuthorizationModelOptions {
  /** `meshConfig.rootNamespace`; defaults to `istio-system`. */
  rootNamespace?: string;
  /**
   * `meshConfig.extensionProviders` by name. When given, a CUSTOM policy naming any other provider is
   * a misconfiguration (see {@link AuthorizationModel.customProblem}); when omitted, every provider
   * is taken to exist.
   */
  extensionProviders?: Readonly<Record<string, ExtAuthzProviderKind>>;
}

/** Go's `strconv.ParseBool`, which istiod uses for the dry-run annotation; anything else is false. */
export function isDryRun(annotations: Readonly<Record<string, string>> | undefined): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(annotations?.[DRY_RUN_ANNOTATION] ?? '');
}

/** Envoy RBAC policy name of rule `index` of a policy; CUSTOM rules carry the ext-authz prefix. */
export function rbacPolicyName(
  namespace: string,
  name: string,
  index: number,
  action: AuthorizationAction,
): string {
  const prefix = action === 'CUSTOM' ? EXT_AUTHZ_RULE_PREFIX : '';
  return `${prefix}ns[${namespace}]-policy[${name}]-rule[${index}]`;
}

const WHEN_KEYS = new Set([
  'source.ip',
  'remote.ip',
  'source.namespace',
  'source.principal',
  'source.serviceAccount',
  'source.trustDomain',
  'request.auth.principal',
  'request.auth.audiences',
  'request.auth.presenter',
  'destination.ip',
  'destination.port',
  'connection.sni',
]);
const WHEN_KEY_PREFIXES = [
  'request.headers[',
  'request.experimental.inline.headers[',
  'request.auth.claims[',
  'experimental.envoy.filters.',
];

/** The `when` key Istio does not know, if any: istiod then skips the whole rule ("unknown attribute"). */
function unknownWhenKey(when: readonly Condition[]): string | undefined {
  return when.find(
    (condition) =>
      !WHEN_KEYS.has(condition.key) && !WHEN_KEY_PREFIXES.some((prefix) => condition.key.startsWith(prefix)),
  )?.key;
}

function buildPolicy(policy: AuthorizationPolicy): AuthorizationPolicyModel {
  const { namespace, name } = policyRef(policy);
  const action = policy.spec.action ?? 'ALLOW';
  const rules: AuthorizationRuleModel[] = (policy.spec.rules ?? []).map((rule, index) => {
    const when = rule.when ?? [];
    const unknown = unknownWhenKey(when);
    return {
      name: rbacPolicyName(namespace, name, index, action),
      from: (rule.from ?? []).map((from) => from.source ?? {}),
      to: (rule.to ?? []).map((to) => to.operation ?? {}),
      when,
      ...(unknown === undefined
        ? {}
        : { neverMatches: `unknown attribute ${unknown}: istiod skips the rule` }),
    };
  });
  if (rules.length === 0) {
    // istiod still emits a rule for an empty policy, one that never matches, so the policy shows up.
    rules.push({
      name: rbacPolicyName(namespace, name, 0, action),
      from: [],
      to: [],
      when: [],
      neverMatches: 'the policy has no rules, so it matches nothing',
    });
  }
  return {
    namespace,
    name,
    action,
    ...(action === 'CUSTOM' ? { provider: policy.spec.provider?.name ?? '' } : {}),
    dryRun: isDryRun(policy.metadata.annotations),
    rules,
  };
}

function resolveCustomProvider(
  custom: readonly AuthorizationPolicyModel[],
  providers: AuthorizationModelOptions['extensionProviders'],
): Pick<AuthorizationModel, 'customProviderKind' | 'customProblem'> {
  const names = [...new Set(custom.map((policy) => policy.provider ?? ''))];
  const [only] = names;
  if (only === undefined) return {};
  if (names.length > 1) {
    return { customProblem: `only one CUSTOM provider is allowed per workload, found ${names.join(', ')}` };
  }
  if (providers === undefined) return {};
  const kind = providers[only];
  return kind === undefined
    ? { customProblem: `extension provider ${JSON.stringify(only)} is not defined in meshConfig` }
    : { customProviderKind: kind };
}

/** The authorization model of `workload`, from every AuthorizationPolicy in the mesh. */
export function buildAuthorizationModel(
  policies: readonly AuthorizationPolicy[],
  workload: PolicyWorkload,
  options: AuthorizationModelOptions = {},
): AuthorizationModel {
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const byAction: Record<AuthorizationAction, AuthorizationPolicyModel[]> = {
    CUSTOM: [],
    AUDIT: [],
    DENY: [],
    ALLOW: [],
  };
  for (const policy of policiesInScope(policies, workload.namespace, rootNamespace)) {
    if (policyAttaches(policy, workload, rootNamespace)) {
      const model = buildPolicy(policy);
      byAction[model.action].push(model);
    }
  }
  return {
    rootNamespace,
    workload,
    policies: byAction,
    ...resolveCustomProvider(byAction.CUSTOM, options.extensionProviders),
  };
}
