import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const backend = { matchLabels: { app: 'backend' } };

const authorizationPolicies: ValidationCase[] = [
  { name: 'spec: {} (deny all) is valid', kind: 'AuthorizationPolicy', spec: {}, expect: [] },
  {
    name: 'ALLOW with principals, methods and paths is valid',
    kind: 'AuthorizationPolicy',
    spec: {
      selector: backend,
      action: 'ALLOW',
      rules: [
        {
          from: [{ source: { principals: ['cluster.local/ns/default/sa/frontend'] } }],
          to: [{ operation: { methods: ['GET', 'POST'], paths: ['/api/*'] } }],
        },
      ],
    },
    expect: [],
  },
  {
    name: 'allow-all with an empty rule is valid',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{}] },
    expect: [],
  },
  {
    name: 'CUSTOM needs a provider',
    kind: 'AuthorizationPolicy',
    spec: { action: 'CUSTOM', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] },
    expect: ['E AUTHZ_ACTION_INVALID spec.provider.name'],
  },
  {
    name: 'CUSTOM without rules never triggers',
    kind: 'AuthorizationPolicy',
    spec: { action: 'CUSTOM', provider: { name: 'ext-authz' } },
    expect: ['E AUTHZ_ACTION_INVALID spec.rules'],
  },
  {
    name: 'CUSTOM with a provider and rules is valid',
    kind: 'AuthorizationPolicy',
    spec: {
      action: 'CUSTOM',
      provider: { name: 'ext-authz' },
      rules: [{ to: [{ operation: { paths: ['/admin'] } }] }],
    },
    expect: [],
  },
  {
    name: 'a provider is only for CUSTOM',
    kind: 'AuthorizationPolicy',
    spec: { action: 'ALLOW', provider: { name: 'ext-authz' }, rules: [{}] },
    expect: ['E AUTHZ_ACTION_INVALID spec.provider'],
  },
  {
    name: 'CUSTOM cannot match on principals',
    kind: 'AuthorizationPolicy',
    spec: {
      action: 'CUSTOM',
      provider: { name: 'ext-authz' },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }] }],
    },
    expect: ['E AUTHZ_ACTION_INVALID spec.rules[0].from[0].source.principals'],
  },
  {
    name: 'DENY without rules never triggers',
    kind: 'AuthorizationPolicy',
    spec: { action: 'DENY', selector: backend },
    expect: ['E AUTHZ_ACTION_INVALID spec.rules'],
  },
  {
    name: 'DENY with an empty rules list never triggers either',
    kind: 'AuthorizationPolicy',
    spec: { action: 'DENY', rules: [] },
    expect: ['E AUTHZ_ACTION_INVALID spec.rules'],
  },
  {
    name: 'DENY on HTTP-only attributes warns about TCP traffic',
    kind: 'AuthorizationPolicy',
    spec: { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] },
    expect: ['W AUTHZ_RULE_INVALID spec.rules[0]'],
  },
  {
    name: 'DENY on a port does not warn',
    kind: 'AuthorizationPolicy',
    spec: { action: 'DENY', rules: [{ to: [{ operation: { ports: ['8080'], methods: ['DELETE'] } }] }] },
    expect: [],
  },
  {
    name: 'AUDIT is a valid action',
    kind: 'AuthorizationPolicy',
    spec: { action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/data'] } }] }] },
    expect: [],
  },
  {
    name: 'an unknown action is rejected by the schema',
    kind: 'AuthorizationPolicy',
    spec: { action: 'REJECT', rules: [{}] },
    expect: ['E SCHEMA_ENUM spec.action'],
  },
  {
    name: 'an empty from list is invalid',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ from: [] }] },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].from'],
  },
  {
    name: 'from without a source is invalid',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ from: [{}] }] },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].from[0].source'],
  },
  {
    name: 'an empty source is invalid',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ from: [{ source: {} }] }] },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].from[0].source'],
  },
  {
    name: 'an empty operation is invalid',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ to: [{ operation: {} }] }] },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].to[0].operation'],
  },
  {
    name: 'serviceAccounts cannot be combined with namespaces',
    kind: 'AuthorizationPolicy',
    spec: {
      rules: [{ from: [{ source: { serviceAccounts: ['default/frontend'], namespaces: ['default'] } }] }],
    },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].from[0].source'],
  },
  {
    name: 'service accounts are namespace/name',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ from: [{ source: { serviceAccounts: ['default/frontend', 'a/b/c'] } }] }] },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].from[0].source.serviceAccounts[1]'],
  },
  {
    name: 'an invalid ipBlock is rejected',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/40'] } }] }] },
    expect: ['E ADDRESS_INVALID spec.rules[0].from[0].source.ipBlocks[0]'],
  },
  {
    name: 'an empty value in a list is rejected',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ from: [{ source: { namespaces: ['frontend', ''] } }] }] },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].from[0].source.namespaces[1]'],
  },
  {
    name: 'a port above 65535 is rejected',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ to: [{ operation: { ports: ['70000'] } }] }] },
    expect: ['E PORT_INVALID spec.rules[0].to[0].operation.ports[0]'],
  },
  {
    name: 'an unsupported path template is rejected',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ to: [{ operation: { paths: ['/api/{*}/{name}'] } }] }] },
    expect: ['E AUTHZ_RULE_INVALID spec.rules[0].to[0].operation.paths[0]'],
  },
  {
    name: 'supported when keys are valid',
    kind: 'AuthorizationPolicy',
    spec: {
      rules: [
        {
          when: [
            { key: 'request.auth.claims[iss]', values: ['https://accounts.example.com'] },
            { key: 'source.ip', values: ['10.0.0.0/8'] },
            { key: 'request.headers[x-token]', notValues: ['guest'] },
            { key: 'destination.port', values: ['8080'] },
          ],
        },
      ],
    },
    expect: [],
  },
  {
    name: 'an unknown when key is rejected',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ when: [{ key: 'request.user', values: ['x'] }] }] },
    expect: ['E AUTHZ_CONDITION_INVALID spec.rules[0].when[0].key'],
  },
  {
    name: 'destination.labels is replaced by the selector',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ when: [{ key: 'destination.labels[app]', values: ['x'] }] }] },
    expect: ['E AUTHZ_CONDITION_INVALID spec.rules[0].when[0].key'],
    messages: ['replaced by the workload selector'],
  },
  {
    name: 'a map key needs brackets',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ when: [{ key: 'request.headers', values: ['x'] }] }] },
    expect: ['E AUTHZ_CONDITION_INVALID spec.rules[0].when[0].key'],
  },
  {
    name: 'a condition needs values or notValues',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ when: [{ key: 'source.namespace' }] }] },
    expect: ['E AUTHZ_CONDITION_INVALID spec.rules[0].when[0]'],
  },
  {
    name: 'a source.ip condition value must be an IP or CIDR',
    kind: 'AuthorizationPolicy',
    spec: { rules: [{ when: [{ key: 'source.ip', values: ['not-an-ip'] }] }] },
    expect: ['E AUTHZ_CONDITION_INVALID spec.rules[0].when[0].values[0]'],
  },
  {
    name: 'selector and targetRefs are exclusive',
    kind: 'AuthorizationPolicy',
    spec: {
      selector: backend,
      targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }],
      rules: [{}],
    },
    expect: ['E TARGET_REF_INVALID spec'],
  },
  {
    name: 'a targetRef kind must be attachable',
    kind: 'AuthorizationPolicy',
    spec: { targetRefs: [{ kind: 'Deployment', group: 'apps', name: 'backend' }], rules: [{}] },
    expect: ['E TARGET_REF_INVALID spec.targetRefs[0]'],
  },
  {
    name: 'a wildcard selector label is rejected',
    kind: 'AuthorizationPolicy',
    spec: { selector: { matchLabels: { app: 'back*' } }, rules: [{}] },
    expect: ['E LABEL_INVALID spec.selector.matchLabels.app'],
  },
];

describe('AuthorizationPolicy validation', () => runCases(authorizationPolicies));
