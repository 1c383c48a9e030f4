import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { ObjectMeta } from '../api/kubernetes/object-meta.js';
import type { AuthorizationPolicy } from '../api/resources.js';
import type { AuthorizationPolicySpec } from '../api/security/authorization-policy.js';
import { loadYaml } from '../loader/load-yaml.js';
import {
  buildAuthorizationModel,
  isDryRun,
  type AuthorizationAction,
  type AuthorizationModel,
  type AuthorizationModelOptions,
} from './authorization-model.js';
import type { PolicyWorkload } from './workload-selection.js';

function authorizationPolicy(
  namespace: string,
  name: string,
  spec: AuthorizationPolicySpec,
  metadata: Partial<ObjectMeta> = {},
): AuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace, ...metadata },
    spec,
  };
}

const seedText = readFileSync(
  new URL('../testdata/seeds/001-authorization-policies.yaml', import.meta.url),
  'utf8',
);
const seedPolicies = loadYaml(seedText, 'seed').resources.map(
  (r) => r.object as unknown as AuthorizationPolicy,
);

const backendPod: PolicyWorkload = { namespace: 'default', labels: { app: 'backend' } };
const frontendPod: PolicyWorkload = { namespace: 'default', labels: { app: 'frontend' } };
const gatewayPod: PolicyWorkload = {
  namespace: 'ingress',
  labels: { 'gateway.networking.k8s.io/gateway-name': 'public', app: 'gateway' },
};
const gatewayRef = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' };

/** `ACTION ns/name: rule names`, one line per applied policy, in model order. */
function summary(model: AuthorizationModel): string[] {
  return (['CUSTOM', 'AUDIT', 'DENY', 'ALLOW'] as AuthorizationAction[]).flatMap((action) =>
    model.policies[action].map(
      (p) =>
        `${action}${p.dryRun ? ' (dry-run)' : ''} ${p.namespace}/${p.name}: ${p.rules.map((r) => r.name).join(' ')}`,
    ),
  );
}

interface Case {
  name: string;
  policies: AuthorizationPolicy[];
  workload: PolicyWorkload;
  options?: AuthorizationModelOptions;
  expect: string[];
}

const cases: Case[] = [
  {
    name: 'tutorial policies on app: backend in default',
    policies: seedPolicies,
    workload: backendPod,
    expect: [
      'ALLOW default/allow-frontend-to-backend: ns[default]-policy[allow-frontend-to-backend]-rule[0]',
      'ALLOW default/deny-all: ns[default]-policy[deny-all]-rule[0]',
    ],
  },
  {
    name: 'tutorial policies on app: frontend: only the namespace-wide deny-all',
    policies: seedPolicies,
    workload: frontendPod,
    expect: ['ALLOW default/deny-all: ns[default]-policy[deny-all]-rule[0]'],
  },
  {
    name: 'tutorial policies on app: backend in backend-ns',
    policies: seedPolicies,
    workload: { namespace: 'backend-ns', labels: { app: 'backend' } },
    expect: [
      'ALLOW backend-ns/allow-frontend-ns-to-backend-ns: ns[backend-ns]-policy[allow-frontend-ns-to-backend-ns]-rule[0]',
    ],
  },
  {
    name: 'root-namespace policies apply in every namespace, before the workload namespace, oldest first',
    policies: [
      authorizationPolicy(
        'default',
        'local',
        { action: 'DENY', rules: [{}] },
        { creationTimestamp: '2024-01-01T00:00:00Z' },
      ),
      authorizationPolicy(
        'istio-system',
        'mesh-new',
        { action: 'DENY', rules: [{}] },
        { creationTimestamp: '2024-03-01T00:00:00Z' },
      ),
      authorizationPolicy(
        'istio-system',
        'mesh-old',
        { action: 'DENY', rules: [{}] },
        { creationTimestamp: '2024-02-01T00:00:00Z' },
      ),
    ],
    workload: backendPod,
    expect: [
      'DENY istio-system/mesh-old: ns[istio-system]-policy[mesh-old]-rule[0]',
      'DENY istio-system/mesh-new: ns[istio-system]-policy[mesh-new]-rule[0]',
      'DENY default/local: ns[default]-policy[local]-rule[0]',
    ],
  },
  {
    name: 'a root-namespace selector reaches matching workloads of any namespace only',
    policies: [
      authorizationPolicy('istio-system', 'v1-only', { selector: { matchLabels: { version: 'v1' } } }),
    ],
    workload: { namespace: 'shop', labels: { app: 'cart', version: 'v2' } },
    expect: [],
  },
  {
    name: 'actions are grouped and each rule is named by its index',
    policies: [
      authorizationPolicy('default', 'mixed-audit', { action: 'AUDIT', rules: [{}, {}] }),
      authorizationPolicy('default', 'mixed-deny', {
        action: 'DENY',
        rules: [{ to: [{ operation: { paths: ['/a'] } }] }],
      }),
      authorizationPolicy(
        'default',
        'dry',
        { action: 'DENY', rules: [{}] },
        { annotations: { 'istio.io/dry-run': 'true' } },
      ),
    ],
    workload: backendPod,
    expect: [
      'AUDIT default/mixed-audit: ns[default]-policy[mixed-audit]-rule[0] ns[default]-policy[mixed-audit]-rule[1]',
      'DENY (dry-run) default/dry: ns[default]-policy[dry]-rule[0]',
      'DENY default/mixed-deny: ns[default]-policy[mixed-deny]-rule[0]',
    ],
  },
  {
    name: 'CUSTOM rules carry the ext-authz prefix',
    policies: [
      authorizationPolicy('default', 'ext', {
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
      }),
    ],
    workload: backendPod,
    expect: ['CUSTOM default/ext: istio-ext-authz-ns[default]-policy[ext]-rule[0]'],
  },
  {
    name: 'sidecars ignore policies with targetRefs',
    policies: [authorizationPolicy('ingress', 'gw', { targetRefs: [gatewayRef], rules: [{}] })],
    workload: { namespace: 'ingress', labels: { app: 'gateway' } },
    expect: [],
  },
  {
    name: 'a Gateway API gateway takes policies targeting its Gateway',
    policies: [
      authorizationPolicy('ingress', 'gw', { targetRefs: [gatewayRef], rules: [{}] }),
      authorizationPolicy('ingress', 'other-gw', {
        targetRef: { ...gatewayRef, name: 'internal' },
        rules: [{}],
      }),
    ],
    workload: gatewayPod,
    expect: ['ALLOW ingress/gw: ns[ingress]-policy[gw]-rule[0]'],
  },
  {
    name: 'a root-namespace policy targeting the istio-waypoint GatewayClass reaches every waypoint',
    policies: [
      authorizationPolicy('istio-system', 'all-waypoints', {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }],
        rules: [{}],
      }),
      authorizationPolicy('shop', 'selector', {
        selector: { matchLabels: { app: 'waypoint' } },
        rules: [{}],
      }),
    ],
    workload: {
      namespace: 'shop',
      labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint', app: 'waypoint' },
      isWaypoint: true,
    },
    expect: ['ALLOW istio-system/all-waypoints: ns[istio-system]-policy[all-waypoints]-rule[0]'],
  },
  {
    name: 'a waypoint takes policies targeting a Service it serves',
    policies: [
      authorizationPolicy('shop', 'cart', {
        targetRefs: [{ kind: 'Service', group: '', name: 'cart' }],
        rules: [{}],
      }),
      authorizationPolicy('shop', 'orders', {
        targetRefs: [{ kind: 'Service', name: 'orders' }],
        rules: [{}],
      }),
    ],
    workload: {
      namespace: 'shop',
      labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' },
      isWaypoint: true,
      services: [{ name: 'cart', namespace: 'shop', registry: 'Kubernetes' }],
    },
    expect: ['ALLOW shop/cart: ns[shop]-policy[cart]-rule[0]'],
  },
  {
    name: 'a classic Gateway is targeted through the workload it runs on',
    policies: [
      authorizationPolicy('istio-system', 'ingress', {
        targetRef: { group: 'networking.istio.io', kind: 'Gateway', name: 'bookinfo-gateway' },
        rules: [{}],
      }),
    ],
    workload: {
      namespace: 'istio-system',
      labels: { istio: 'ingressgateway' },
      gateways: [{ name: 'bookinfo-gateway', namespace: 'istio-system' }],
    },
    expect: ['ALLOW istio-system/ingress: ns[istio-system]-policy[ingress]-rule[0]'],
  },
];

describe('buildAuthorizationModel', () => {
  it.each(cases)('$name', (c) => {
    expect(summary(buildAuthorizationModel(c.policies, c.workload, c.options))).toEqual(c.expect);
  });

  it('keeps sources, operations and conditions as plain data', () => {
    const model = buildAuthorizationModel(seedPolicies, backendPod);
    expect(model.policies.ALLOW[0]?.rules[0]).toEqual({
      name: 'ns[default]-policy[allow-frontend-to-backend]-rule[0]',
      from: [{ principals: ['cluster.local/ns/default/sa/frontend'] }],
      to: [{ methods: ['GET', 'POST'], paths: ['/api/*'] }],
      when: [],
    });
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it('marks an empty ALLOW policy and an unknown `when` key as never matching', () => {
    const model = buildAuthorizationModel(
      [
        authorizationPolicy('default', 'allow-nothing', {}),
        authorizationPolicy('default', 'typo', {
          rules: [{ when: [{ key: 'request.header[x]', values: ['1'] }] }],
        }),
      ],
      backendPod,
    );
    expect(model.policies.ALLOW.map((p) => p.rules[0]?.neverMatches)).toEqual([
      'the policy has no rules, so it matches nothing',
      'unknown attribute request.header[x]: istiod skips the rule',
    ]);
  });

  it.each([
    ['true', true],
    ['True', true],
    ['1', true],
    ['false', false],
    ['yes', false],
    [undefined, false],
  ])('reads istio.io/dry-run %j as %j, like Go strconv.ParseBool', (value, expected) => {
    expect(isDryRun(value === undefined ? {} : { 'istio.io/dry-run': value })).toBe(expected);
  });

  it.each<[string, string[], AuthorizationModelOptions, Partial<AuthorizationModel>]>([
    [
      'a known gRPC provider',
      ['opa'],
      { extensionProviders: { opa: 'envoyExtAuthzGrpc' } },
      { customProviderKind: 'envoyExtAuthzGrpc' },
    ],
    ['providers not configured: assumed to exist', ['opa'], {}, {}],
    [
      'an undefined provider',
      ['opa'],
      { extensionProviders: { other: 'envoyExtAuthzHttp' } },
      { customProblem: 'extension provider "opa" is not defined in meshConfig' },
    ],
    [
      'two providers on one workload',
      ['opa', 'oauth2'],
      {},
      { customProblem: 'only one CUSTOM provider is allowed per workload, found oauth2, opa' },
    ],
  ])('resolves the CUSTOM provider: %s', (_name, providers, options, expected) => {
    const policies = providers.map((provider) =>
      authorizationPolicy('default', `ext-${provider}`, {
        action: 'CUSTOM',
        provider: { name: provider },
        rules: [{}],
      }),
    );
    const model = buildAuthorizationModel(policies, backendPod, options);
    expect({ customProviderKind: model.customProviderKind, customProblem: model.customProblem }).toEqual({
      customProviderKind: undefined,
      customProblem: undefined,
      ...expected,
    });
  });
});
