import { describe, expect, it } from 'vitest';

import type { ObjectMeta } from '../api/kubernetes/object-meta.js';
import type { AuthorizationPolicy } from '../api/resources.js';
import type { AuthorizationPolicySpec } from '../api/security/authorization-policy.js';
import { evaluateAuthorization, type AuthorizationDecision } from './authorization-decision.js';
import { buildAuthorizationModel } from './authorization-model.js';
import type { AuthorizationRequest } from './authorization-request.js';

/**
 * TCP connections carry no HTTP attributes. The AuthorizationPolicy reference: "When this rule is
 * applied to TCP traffic, the `method` field (as will all HTTP based attributes) cannot be processed.
 * For a `DENY` rule, missing attributes are treated as matches." An ALLOW rule using them is skipped.
 */

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

const REPORTS = 'cluster.local/ns/analytics/sa/reports';
const database = { namespace: 'db', labels: { app: 'postgres' } };

function tcp(port: number, principal?: string, ip = '10.2.0.8'): AuthorizationRequest {
  return { source: { ip, ...(principal === undefined ? {} : { principal }) }, destination: { port } };
}

interface Case {
  name: string;
  policies: AuthorizationPolicy[];
  request: AuthorizationRequest;
  expect: Partial<AuthorizationDecision>;
}

const cases: Case[] = [
  {
    name: 'an ALLOW rule on principals and ports admits the reports job',
    policies: [
      policy('reports', {
        rules: [{ from: [{ source: { principals: [REPORTS] } }], to: [{ operation: { ports: ['5432'] } }] }],
      }),
    ],
    request: tcp(5432, REPORTS),
    expect: { decision: 'ALLOW', policy: 'ns[db]-policy[reports]-rule[0]' },
  },
  {
    name: 'an ALLOW rule that uses methods is skipped entirely, so the connection is denied',
    policies: [
      policy('reports', {
        rules: [{ from: [{ source: { principals: [REPORTS] } }], to: [{ operation: { methods: ['GET'] } }] }],
      }),
    ],
    request: tcp(5432, REPORTS),
    expect: {
      decision: 'DENY',
      code: 'NO_ALLOW_MATCHED',
      notes: [
        'ns[db]-policy[reports]-rule[0]: methods is HTTP only, so this ALLOW rule is skipped and matches nothing',
      ],
    },
  },
  {
    name: 'one HTTP-only operation in an ALLOW rule voids its TCP-only sibling too',
    policies: [
      policy('mixed', {
        rules: [{ to: [{ operation: { ports: ['5432'] } }, { operation: { paths: ['/health'] } }] }],
      }),
    ],
    request: tcp(5432),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'an ALLOW rule with requestPrincipals (JWT) never matches',
    policies: [policy('jwt', { rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] })],
    request: tcp(5432, REPORTS),
    expect: { decision: 'DENY' },
  },
  {
    name: 'an ALLOW rule on namespaces works from the peer certificate',
    policies: [policy('analytics', { rules: [{ from: [{ source: { namespaces: ['analytics'] } }] }] })],
    request: tcp(5432, REPORTS),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'istio.io example: DENY POST on port 8080 denies all TCP traffic on 8080',
    policies: [
      policy('no-post', {
        action: 'DENY',
        rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }],
      }),
    ],
    request: tcp(8080),
    expect: { decision: 'DENY', code: 'DENY_MATCHED', policy: 'ns[db]-policy[no-post]-rule[0]' },
  },
  {
    name: 'istio.io example: the same DENY leaves other ports alone',
    policies: [
      policy('no-post', {
        action: 'DENY',
        rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }],
      }),
    ],
    request: tcp(5432),
    expect: { decision: 'ALLOW', code: 'NO_ALLOW_POLICY' },
  },
  {
    name: 'a DENY on methods alone denies every TCP connection',
    policies: [
      policy('no-delete', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }),
    ],
    request: tcp(5432, REPORTS),
    expect: { decision: 'DENY', code: 'DENY_MATCHED' },
  },
  {
    name: 'a DENY keeps its TCP attributes: another principal is not denied',
    policies: [
      policy('no-admin', {
        action: 'DENY',
        rules: [
          { from: [{ source: { principals: [REPORTS] } }], to: [{ operation: { paths: ['/admin'] } }] },
        ],
      }),
    ],
    request: tcp(5432, 'cluster.local/ns/db/sa/migrations'),
    expect: { decision: 'ALLOW', code: 'NO_ALLOW_POLICY' },
  },
  {
    name: 'a DENY with a header condition loses the condition and denies',
    policies: [
      policy('no-bots', {
        action: 'DENY',
        rules: [{ when: [{ key: 'request.headers[user-agent]', values: ['bot*'] }] }],
      }),
    ],
    request: tcp(5432),
    expect: { decision: 'DENY' },
  },
  {
    name: 'an invalid ipBlocks value widens a DENY rule (the value is dropped)',
    policies: [
      policy('bad-cidr', { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }] }] }),
    ],
    request: tcp(5432),
    expect: { decision: 'DENY' },
  },
];

describe('evaluateAuthorization: TCP connections', () => {
  it.each(cases)('$name', (c) => {
    const model = buildAuthorizationModel(c.policies, database);
    expect(evaluateAuthorization(model, c.request)).toMatchObject(c.expect);
  });
});
