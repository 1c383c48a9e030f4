import { describe, expect, it } from 'vitest';

import type { ObjectMeta } from '../api/kubernetes/object-meta.js';
import type { AuthorizationPolicy } from '../api/resources.js';
import type { AuthorizationPolicySpec } from '../api/security/authorization-policy.js';
import {
  evaluateAuthorization,
  type AuthorizationDecision,
  type AuthorizationEvaluationOptions,
} from './authorization-decision.js';
import { buildAuthorizationModel, type AuthorizationModelOptions } from './authorization-model.js';
import type { AuthorizationRequest } from './authorization-request.js';

/** ext-authz (CUSTOM), AUDIT and dry-run policies: the stages around the DENY/ALLOW decision. */

function policy(
  name: string,
  spec: AuthorizationPolicySpec,
  metadata: Partial<ObjectMeta> = {},
): AuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: 'db', ...metadata },
    spec,
  };
}

const dryRun = { annotations: { 'istio.io/dry-run': 'true' } };
const REPORTS = 'cluster.local/ns/analytics/sa/reports';
const database = { namespace: 'db', labels: { app: 'postgres' } };

function tcp(port: number, principal?: string, ip = '10.2.0.8'): AuthorizationRequest {
  return { source: { ip, ...(principal === undefined ? {} : { principal }) }, destination: { port } };
}

function get(path: string, principal?: string): AuthorizationRequest {
  return {
    source: { ip: '10.2.0.8', ...(principal === undefined ? {} : { principal }) },
    destination: { port: 8080 },
    http: { host: 'db-admin', method: 'GET', path },
  };
}

interface Case {
  name: string;
  policies: AuthorizationPolicy[];
  request: AuthorizationRequest;
  model?: AuthorizationModelOptions;
  options?: AuthorizationEvaluationOptions;
  expect: Partial<AuthorizationDecision>;
  /** Fields the decision must not have. */
  absent?: (keyof AuthorizationDecision)[];
}

const cases: Case[] = [
  {
    name: 'CUSTOM: a matching rule sends the request to ext-authz, which denies',
    policies: [
      policy('ext', {
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
      }),
    ],
    request: get('/admin/users'),
    options: { extAuthz: ({ provider }) => (provider === 'opa' ? 'DENY' : 'ALLOW') },
    expect: {
      decision: 'DENY',
      code: 'CUSTOM_DENIED',
      policy: 'istio-ext-authz-ns[db]-policy[ext]-rule[0]',
      extAuthz: {
        provider: 'opa',
        policy: 'istio-ext-authz-ns[db]-policy[ext]-rule[0]',
        verdict: 'DENY',
        assumed: false,
      },
    },
  },
  {
    name: 'CUSTOM: without a verdict the provider is assumed to allow, and the result says so',
    policies: [
      policy('ext', {
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
      }),
    ],
    request: get('/admin/users'),
    expect: {
      decision: 'ALLOW',
      code: 'NO_ALLOW_POLICY',
      extAuthz: {
        provider: 'opa',
        policy: 'istio-ext-authz-ns[db]-policy[ext]-rule[0]',
        verdict: 'ALLOW',
        assumed: true,
      },
    },
  },
  {
    name: 'CUSTOM: ext-authz allowing cannot bypass a DENY',
    policies: [
      policy('ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] }),
      policy('no-admin', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }),
    ],
    request: get('/admin'),
    options: { extAuthz: () => 'ALLOW' },
    expect: {
      decision: 'DENY',
      code: 'DENY_MATCHED',
      extAuthz: {
        provider: 'opa',
        policy: 'istio-ext-authz-ns[db]-policy[ext]-rule[0]',
        verdict: 'ALLOW',
        assumed: false,
      },
    },
  },
  {
    name: 'CUSTOM: a request no CUSTOM rule matches never reaches the provider',
    policies: [
      policy('ext', {
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
      }),
    ],
    request: get('/public'),
    options: { extAuthz: () => 'DENY' },
    expect: { decision: 'ALLOW', code: 'NO_ALLOW_POLICY' },
    absent: ['extAuthz'],
  },
  {
    name: 'CUSTOM: an undefined provider turns the CUSTOM rules into denies',
    policies: [
      policy('ext', {
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
      }),
    ],
    model: { extensionProviders: { 'oauth2-proxy': 'envoyExtAuthzHttp' } },
    request: get('/admin'),
    expect: {
      decision: 'DENY',
      code: 'CUSTOM_MISCONFIGURED',
      policy: 'istio-ext-authz-ns[db]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action',
    },
  },
  {
    name: 'CUSTOM: an HTTP ext-authz provider is not applied to TCP connections',
    policies: [policy('ext', { action: 'CUSTOM', provider: { name: 'oauth2-proxy' }, rules: [{}] })],
    model: { extensionProviders: { 'oauth2-proxy': 'envoyExtAuthzHttp' } },
    request: tcp(5432),
    options: { extAuthz: () => 'DENY' },
    expect: {
      decision: 'ALLOW',
      notes: ['CUSTOM policies use an HTTP ext-authz provider, which istiod does not apply to TCP traffic'],
    },
    absent: ['extAuthz'],
  },
  {
    name: 'AUDIT marks the request and never changes the decision',
    policies: [
      policy('audit-admin', { action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] }),
      policy('allow-nothing', {}),
    ],
    request: get('/admin/export'),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED', audit: 'ns[db]-policy[audit-admin]-rule[0]' },
  },
  {
    name: 'dry-run DENY is reported in shadow but not enforced',
    policies: [
      policy(
        'deny-admin',
        { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] },
        dryRun,
      ),
    ],
    request: get('/admin/users'),
    expect: {
      decision: 'ALLOW',
      code: 'NO_ALLOW_POLICY',
      shadow: [
        { action: 'DENY', result: 'DENY', policy: 'ns[db]-policy[deny-admin]-rule[0]', reached: true },
      ],
    },
  },
  {
    name: 'only dry-run ALLOW policies: the workload stays open and the shadow shows what would be denied',
    policies: [
      policy('only-reports', { rules: [{ from: [{ source: { principals: [REPORTS] } }] }] }, dryRun),
    ],
    request: get('/dashboard', 'cluster.local/ns/db/sa/migrations'),
    expect: {
      decision: 'ALLOW',
      code: 'NO_ALLOW_POLICY',
      shadow: [{ action: 'ALLOW', result: 'DENY', reached: true }],
    },
  },
  {
    name: 'a dry-run ALLOW behind an enforced DENY is never reached by the proxy',
    policies: [
      policy('deny-all-admin', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }),
      policy('shadow-allow', { rules: [{}] }, dryRun),
    ],
    request: get('/admin'),
    expect: {
      decision: 'DENY',
      shadow: [
        { action: 'ALLOW', result: 'ALLOW', policy: 'ns[db]-policy[shadow-allow]-rule[0]', reached: false },
      ],
    },
  },
];

describe('evaluateAuthorization: CUSTOM, AUDIT and dry-run', () => {
  it.each(cases)('$name', (c) => {
    const model = buildAuthorizationModel(c.policies, database, c.model);
    const decision = evaluateAuthorization(model, c.request, c.options);
    expect(decision).toMatchObject(c.expect);
    for (const field of c.absent ?? []) expect(decision).not.toHaveProperty(field);
  });

  it('passes the request and the matching rule to the ext-authz callback', () => {
    const model = buildAuthorizationModel(
      [
        policy('ext', {
          action: 'CUSTOM',
          provider: { name: 'opa' },
          rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
        }),
      ],
      database,
    );
    const checks: string[] = [];
    evaluateAuthorization(model, get('/admin/x'), {
      extAuthz: ({ provider, policy: rule, request }) => {
        checks.push(`${provider} ${rule} ${request.http?.path}`);
        return 'ALLOW';
      },
    });
    expect(checks).toEqual(['opa istio-ext-authz-ns[db]-policy[ext]-rule[0] /admin/x']);
  });
});
