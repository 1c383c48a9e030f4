import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import type { SidecarProxy } from '../generation/sidecar/sidecar-context.js';
import { authzCheck, parseRuleKey, type AuthzRequest } from './authz-check.js';

/** authz check over the seed's backend: the policies its RBAC filters hold and the decision for requests. */
const BACKEND: SidecarProxy = {
  id: 'sidecar~10.0.0.30~backend-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'backend' },
  ipAddresses: ['10.0.0.30'],
  serviceAccount: 'backend',
};
const SCENARIO = readFileSync(join(import.meta.dirname, 'testdata', 'frontend-backend.yaml'), 'utf8');
const ALLOW_FRONTEND = readFileSync(
  join(import.meta.dirname, '..', 'simulation', 'testdata', 'authz-allow-frontend.yaml'),
  'utf8',
);
const DENY_ADMIN = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: DENY
  rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }]`;
const DRY_RUN = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-post
  namespace: default
  annotations: { istio.io/dry-run: 'true' }
spec:
  selector: { matchLabels: { app: backend } }
  action: DENY
  rules: [{ to: [{ operation: { methods: [POST] } }] }]`;

const FRONTEND = 'cluster.local/ns/default/sa/frontend';

function check(request: Partial<AuthzRequest> | undefined, ...policies: string[]) {
  const snapshot = MeshSnapshot.fromYaml([SCENARIO, ...policies].join('\n---\n'), 'scenario.yaml');
  return authzCheck(
    snapshot,
    BACKEND,
    request === undefined ? undefined : { port: 8080, protocol: 'http', ...request },
  );
}

describe('authzCheck', () => {
  it('lists the policies of the RBAC filters, DENY first, with their rule counts and dry-run state', () => {
    expect(check(undefined, ALLOW_FRONTEND, DENY_ADMIN, DRY_RUN).policies).toEqual([
      { action: 'DENY', namespace: 'default', name: 'deny-admin', rules: 1, dryRun: false },
      { action: 'DENY', namespace: 'default', name: 'deny-post', rules: 1, dryRun: true },
      { action: 'ALLOW', namespace: 'default', name: 'allow-frontend-to-backend', rules: 1, dryRun: false },
    ]);
  });

  it("allows the frontend's GET /api/data by allow-frontend-to-backend rule 0", () => {
    const { result } = check({ principal: FRONTEND, method: 'GET', path: '/api/data' }, ALLOW_FRONTEND);
    expect(result).toEqual({
      decision: 'ALLOW',
      rule: {
        namespace: 'default',
        name: 'allow-frontend-to-backend',
        rule: 0,
        key: 'ns[default]-policy[allow-frontend-to-backend]-rule[0]',
      },
      reason: 'allowed by allow-frontend-to-backend.default rule 0',
      dryRun: [],
    });
  });

  it('denies another identity by default, with the 403 the client gets', () => {
    const { result } = check(
      { principal: 'cluster.local/ns/default/sa/other', path: '/api/data' },
      ALLOW_FRONTEND,
    );
    expect(result).toMatchObject({
      decision: 'DENY',
      reason: 'denied by default: ALLOW policies apply and none of their rules matches',
      response: '403 RBAC: access denied',
    });
    expect(result?.rule).toBeUndefined();
  });

  it('names the DENY rule that denied, before any ALLOW', () => {
    const { result } = check({ principal: FRONTEND, path: '/admin/users' }, ALLOW_FRONTEND, DENY_ADMIN);
    expect([result?.decision, result?.rule?.key]).toEqual(['DENY', 'ns[default]-policy[deny-admin]-rule[0]']);
  });

  it('allows by default when no policy applies', () => {
    expect(check({ path: '/' }).result).toMatchObject({
      decision: 'ALLOW',
      reason: 'allowed by default: no authorization policy applies',
    });
  });

  it('reports dry-run verdicts beside the enforced one', () => {
    const { result } = check(
      { principal: FRONTEND, method: 'POST', path: '/api/x' },
      ALLOW_FRONTEND,
      DRY_RUN,
    );
    expect([result?.decision, result?.dryRun]).toEqual([
      'ALLOW',
      [{ policy: 'ns[default]-policy[deny-post]-rule[0]', effect: 'denied' }],
    ]);
  });

  it('decides TCP connections by the network RBAC filter: a closed connection', () => {
    const { result } = check(
      { port: 5432, protocol: 'tcp', principal: 'cluster.local/ns/default/sa/other' },
      ALLOW_FRONTEND,
    );
    expect([result?.decision, result?.response]).toEqual(['DENY', 'connection closed']);
  });

  it('says when the request never reaches RBAC (plaintext to a STRICT server)', () => {
    const strict = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: strict, namespace: default }
spec: { mtls: { mode: STRICT } }`;
    const { result } = check({ path: '/api/data' }, ALLOW_FRONTEND, strict);
    expect(result?.decision).toBe('REFUSED');
    expect(result?.reason).toMatch(/^the request does not reach RBAC: /);
  });
});

describe('parseRuleKey', () => {
  it('reads Istio rule keys and nothing else', () => {
    expect(parseRuleKey('ns[a]-policy[b]-rule[12]')).toMatchObject({ namespace: 'a', name: 'b', rule: 12 });
    expect(parseRuleKey('istio-ext-authz-ns[a]-policy[b]-rule[0]')).toBeUndefined();
    expect(parseRuleKey('none')).toBeUndefined();
  });
});
