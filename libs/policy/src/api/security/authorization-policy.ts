import Type, { type Static } from 'typebox';

import { SELECTOR_OR_TARGET_REFS, WorkloadSelector, targetRefFields } from '../common.js';
import { enumOf, listOf, obj, opt, str, stringList } from '../schema-helpers.js';

/** AuthorizationPolicy (security.istio.io): access control on workloads, evaluated CUSTOM → DENY → ALLOW. */

export const AUTHORIZATION_ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;

const serviceAccounts = () => opt(listOf(Type.String({ maxLength: 320 }), 'Optional.', { maxItems: 16 }));

/** `Source`: who sends the request. The `not*` variants negate. */
export const Source = obj(
  {
    principals: opt(stringList('Optional.')),
    notPrincipals: opt(stringList('Optional.')),
    requestPrincipals: opt(stringList('Optional.')),
    notRequestPrincipals: opt(stringList('Optional.')),
    namespaces: opt(stringList('Optional.')),
    notNamespaces: opt(stringList('Optional.')),
    serviceAccounts: serviceAccounts(),
    notServiceAccounts: serviceAccounts(),
    trustDomains: opt(stringList('Optional.')),
    notTrustDomains: opt(stringList('Optional.')),
    ipBlocks: opt(stringList('Optional.')),
    notIpBlocks: opt(stringList('Optional.')),
    remoteIpBlocks: opt(stringList('Optional.')),
    notRemoteIpBlocks: opt(stringList('Optional.')),
  },
  {
    validations: [
      {
        rule: '(has(self.serviceAccounts) || has(self.notServiceAccounts)) ? (!has(self.principals) && !has(self.notPrincipals) && !has(self.namespaces) && !has(self.notNamespaces)) : true',
        message: 'Cannot set serviceAccounts with namespaces or principals',
      },
    ],
  },
);
export type Source = Static<typeof Source>;

/** `Operation`: what the request does. The `not*` variants negate. */
export const Operation = obj({
  hosts: opt(stringList('Optional.')),
  notHosts: opt(stringList('Optional.')),
  ports: opt(stringList('Optional.')),
  notPorts: opt(stringList('Optional.')),
  methods: opt(stringList('Optional.')),
  notMethods: opt(stringList('Optional.')),
  paths: opt(stringList('Optional.')),
  notPaths: opt(stringList('Optional.')),
});
export type Operation = Static<typeof Operation>;

/** `Condition`: an extra attribute match (`when`), keyed by one of Istio's supported attributes. */
export const Condition = obj({
  key: str('The name of an Istio attribute.'),
  values: opt(stringList('Optional.')),
  notValues: opt(stringList('Optional.')),
});
export type Condition = Static<typeof Condition>;

export const Rule = obj({
  from: opt(listOf(obj({ source: opt(Source) }), 'Optional.', { maxItems: 512 })),
  to: opt(listOf(obj({ operation: opt(Operation) }), 'Optional.')),
  when: opt(listOf(Condition, 'Optional.')),
});
export type Rule = Static<typeof Rule>;

export const AuthorizationPolicySpec = obj(
  {
    selector: opt(WorkloadSelector),
    ...targetRefFields,
    rules: opt(listOf(Rule, 'Optional.', { maxItems: 512 })),
    action: opt(enumOf([...AUTHORIZATION_ACTIONS], 'Optional.')),
    provider: opt(obj({ name: opt(str('Specifies the name of the extension provider.')) })),
  },
  {
    description:
      'Configuration for access control on workloads. See more details at: https://istio.io/docs/reference/config/security/authorization-policy.html',
    validations: [SELECTOR_OR_TARGET_REFS],
  },
);
export type AuthorizationPolicySpec = Static<typeof AuthorizationPolicySpec>;
