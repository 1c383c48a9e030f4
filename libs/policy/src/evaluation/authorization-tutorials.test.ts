import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { AuthorizationPolicy } from '../api/resources.js';
import type { AuthorizationPolicySpec } from '../api/security/authorization-policy.js';
import { loadYaml } from '../loader/load-yaml.js';
import { evaluateAuthorization, type AuthorizationDecision } from './authorization-decision.js';
import { buildAuthorizationModel } from './authorization-model.js';
import type { AuthorizationRequest } from './authorization-request.js';
import type { PolicyWorkload } from './workload-selection.js';

/**
 * The authorization walkthroughs of the tutorials our users follow (seeds/001), with their own YAML:
 * allow only the frontend service account, allow a namespace, deny-all, and a DENY beating an ALLOW.
 */

const seedText = readFileSync(
  new URL('../testdata/seeds/001-authorization-policies.yaml', import.meta.url),
  'utf8',
);
const seed = Object.fromEntries(
  loadYaml(seedText, 'seed').resources.map((r) => [r.name, r.object as unknown as AuthorizationPolicy]),
);
const allowFrontend = seed['allow-frontend-to-backend']!;
const allowFrontendNs = seed['allow-frontend-ns-to-backend-ns']!;
const denyAll = seed['deny-all']!;

function policy(name: string, spec: AuthorizationPolicySpec): AuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: 'default' },
    spec,
  };
}

const FRONTEND = 'cluster.local/ns/default/sa/frontend';
const ORDERS = 'cluster.local/ns/default/sa/orders';
const backend: PolicyWorkload = { namespace: 'default', labels: { app: 'backend' } };
const backendInBackendNs: PolicyWorkload = { namespace: 'backend-ns', labels: { app: 'backend' } };

function http(
  shape: { principal?: string; method?: string; path?: string; ip?: string } = {},
): AuthorizationRequest {
  return {
    source: {
      ip: shape.ip ?? '10.0.0.7',
      ...(shape.principal === undefined ? {} : { principal: shape.principal }),
    },
    destination: { port: 8080 },
    http: {
      host: 'backend.default.svc.cluster.local',
      method: shape.method ?? 'GET',
      path: shape.path ?? '/api/users',
    },
  };
}

interface Case {
  name: string;
  policies: AuthorizationPolicy[];
  workload?: PolicyWorkload;
  request: AuthorizationRequest;
  expect: Partial<AuthorizationDecision>;
}

const allowAll = policy('allow', { rules: [{}] });
const noAdmin = policy('no-admin', {
  action: 'DENY',
  rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
});

const cases: Case[] = [
  {
    name: 'no policy: allowed',
    policies: [],
    request: http(),
    expect: { decision: 'ALLOW', code: 'NO_ALLOW_POLICY' },
  },
  {
    name: 'tutorial: frontend GET /api/users on backend is allowed',
    policies: [allowFrontend],
    request: http({ principal: FRONTEND }),
    expect: {
      decision: 'ALLOW',
      code: 'ALLOW_MATCHED',
      policy: 'ns[default]-policy[allow-frontend-to-backend]-rule[0]',
    },
  },
  {
    name: 'tutorial: frontend POST /api/orders is allowed',
    policies: [allowFrontend],
    request: http({ principal: FRONTEND, method: 'POST', path: '/api/orders' }),
    expect: { decision: 'ALLOW', code: 'ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: frontend DELETE /api/users is denied',
    policies: [allowFrontend],
    request: http({ principal: FRONTEND, method: 'DELETE' }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: frontend GET /admin is denied',
    policies: [allowFrontend],
    request: http({ principal: FRONTEND, path: '/admin' }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: another service account is denied',
    policies: [allowFrontend],
    request: http({ principal: ORDERS }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: a plaintext caller has no principal and is denied',
    policies: [allowFrontend],
    request: http(),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: the policy selects app: backend only, so frontend is open',
    policies: [allowFrontend],
    workload: { namespace: 'default', labels: { app: 'frontend' } },
    request: http({ principal: ORDERS, path: '/anything' }),
    expect: { decision: 'ALLOW', code: 'NO_ALLOW_POLICY' },
  },
  {
    name: 'path normalization: /api/../admin is /admin and is denied',
    policies: [allowFrontend],
    request: http({ principal: FRONTEND, path: '/api/../admin' }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'path normalization: %2e%2e and a query string still reach /api/*',
    policies: [allowFrontend],
    request: http({ principal: FRONTEND, path: '/static/%2e%2e/api/users?page=2' }),
    expect: { decision: 'ALLOW', code: 'ALLOW_MATCHED' },
  },
  {
    name: 'a lower-case method is rejected with 400 before authorization',
    policies: [allowFrontend],
    request: http({ principal: FRONTEND, method: 'get' }),
    expect: { decision: 'DENY', code: 'MALFORMED_REQUEST' },
  },
  {
    name: 'tutorial: a caller from frontend-ns may call backend in backend-ns',
    policies: [allowFrontendNs],
    workload: backendInBackendNs,
    request: http({ principal: 'cluster.local/ns/frontend-ns/sa/web', method: 'POST', path: '/api/cart' }),
    expect: { decision: 'ALLOW', policy: 'ns[backend-ns]-policy[allow-frontend-ns-to-backend-ns]-rule[0]' },
  },
  {
    name: 'tutorial: a caller from another namespace is denied',
    policies: [allowFrontendNs],
    workload: backendInBackendNs,
    request: http({ principal: 'cluster.local/ns/frontend-ns-old/sa/web' }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: namespaces need mTLS, so plaintext from frontend-ns is denied',
    policies: [allowFrontendNs],
    workload: backendInBackendNs,
    request: http({ ip: '10.1.0.5' }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: deny-all (spec: {}) alone denies everything',
    policies: [denyAll],
    request: http({ principal: FRONTEND }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'tutorial: deny-all plus allow-frontend still lets frontend through (ALLOW policies are ORed)',
    policies: [denyAll, allowFrontend],
    request: http({ principal: FRONTEND }),
    expect: { decision: 'ALLOW', policy: 'ns[default]-policy[allow-frontend-to-backend]-rule[0]' },
  },
  {
    name: 'DENY on /admin* wins over an allow-all',
    policies: [allowAll, noAdmin],
    request: http({ principal: FRONTEND, path: '/admin/users' }),
    expect: { decision: 'DENY', code: 'DENY_MATCHED', policy: 'ns[default]-policy[no-admin]-rule[0]' },
  },
  {
    name: 'DENY on /admin* leaves other paths to the allow-all',
    policies: [allowAll, noAdmin],
    request: http({ path: '/home' }),
    expect: { decision: 'ALLOW', code: 'ALLOW_MATCHED', policy: 'ns[default]-policy[allow]-rule[0]' },
  },
];

describe('evaluateAuthorization: tutorial walkthroughs', () => {
  it.each(cases)('$name', (c) => {
    const model = buildAuthorizationModel(c.policies, c.workload ?? backend);
    expect(evaluateAuthorization(model, c.request)).toMatchObject(c.expect);
  });
});
