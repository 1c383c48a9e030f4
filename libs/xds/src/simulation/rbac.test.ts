import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildAuthorizationModel, evaluateAuthorization } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import type { SidecarProxy } from '../generation/sidecar/sidecar-context.js';
import { sidecarConfig, simulate } from './simulate.js';

/**
 * AuthorizationPolicy as the backend sidecar enforces it: Envoy RBAC semantics over the generated
 * filters, checked against `evaluateAuthorization` (DESIGN.md §3: one evaluator, three users).
 */
const BACKEND: SidecarProxy = {
  id: 'sidecar~10.0.0.30~backend-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'backend' },
  ipAddresses: ['10.0.0.30'],
  serviceAccount: 'backend',
};
const FRONTEND = 'cluster.local/ns/default/sa/frontend';
const OTHER = 'cluster.local/ns/default/sa/intruder';

function snapshotOf(...files: string[]) {
  const text = ['backend.yaml', ...files]
    .map((file) => readFileSync(join(import.meta.dirname, 'testdata', file), 'utf8'))
    .join('\n---\n');
  return MeshSnapshot.fromYaml(text, files.join('+'));
}

interface Request {
  principal?: string;
  method?: string;
  path?: string;
  port?: number;
}

/** The simulated sidecar's verdict and the policy library's, for the same mTLS request. */
function both(files: string[], { principal = FRONTEND, method = 'GET', path = '/', port = 8080 }: Request) {
  const snapshot = snapshotOf(...files);
  const http = port === 8080;
  const simulated = simulate(sidecarConfig(snapshot, BACKEND), {
    direction: 'inbound',
    port,
    protocol: http ? 'http' : 'tcp',
    tls: true,
    alpn: ['istio-http/1.1', 'istio'],
    sourcePrincipal: principal,
    host: 'backend:8080',
    method,
    path,
  });
  const model = buildAuthorizationModel(snapshot.authorizationPolicies, {
    namespace: 'default',
    labels: BACKEND.labels,
  });
  const evaluated = evaluateAuthorization(model, {
    source: { principal },
    destination: { port },
    ...(http ? { http: { host: 'backend:8080', method, path } } : {}),
  });
  return { simulated, evaluated };
}

const SEED = ['authz-allow-frontend.yaml'];
const SEED_RULE = 'ns[default]-policy[allow-frontend-to-backend]-rule[0]';

describe('AuthorizationPolicy on the inbound sidecar', () => {
  it('allows frontend GET /api/items, naming the rule that allowed it', () => {
    const { simulated, evaluated } = both(SEED, { path: '/api/items' });
    expect(simulated).toMatchObject({
      rbac: { decision: 'ALLOW', policy: SEED_RULE },
      cluster: 'inbound|8080||',
    });
    expect(simulated.denied).toBeUndefined();
    expect(evaluated).toMatchObject({ decision: 'ALLOW', policy: SEED_RULE });
  });

  it('denies another identity with 403 RBAC: access denied', () => {
    const { simulated, evaluated } = both(SEED, { principal: OTHER, path: '/api/items' });
    expect(simulated).toMatchObject({
      rbac: { decision: 'DENY' },
      denied: { status: 403, body: 'RBAC: access denied' },
    });
    expect(simulated.cluster).toBeUndefined();
    expect(evaluated.decision).toBe('DENY');
  });

  it('denies frontend outside /api/* and with other methods', () => {
    for (const request of [{ path: '/admin' }, { path: '/api' }, { method: 'DELETE', path: '/api/items' }]) {
      const { simulated, evaluated } = both(SEED, request);
      expect(simulated.rbac?.decision, JSON.stringify(request)).toBe('DENY');
      expect(evaluated.decision, JSON.stringify(request)).toBe('DENY');
    }
  });

  it('ignores the query string when matching paths', () => {
    const { simulated, evaluated } = both(SEED, { path: '/api/items?admin=true' });
    expect(simulated.rbac?.decision).toBe('ALLOW');
    expect(evaluated.decision).toBe('ALLOW');
  });

  it('lets a DENY on /admin win over an ALLOW that matches', () => {
    const files = ['authz-allow-frontend-anything.yaml', 'authz-deny-admin.yaml'];
    const { simulated, evaluated } = both(files, { path: '/admin/users' });
    expect(simulated).toMatchObject({
      rbac: { decision: 'DENY', policy: 'ns[default]-policy[deny-admin]-rule[0]' },
      denied: { status: 403 },
    });
    expect(evaluated).toMatchObject({ decision: 'DENY', policy: 'ns[default]-policy[deny-admin]-rule[0]' });
    expect(both(files, { path: '/reports' }).simulated.rbac?.decision).toBe('ALLOW');
  });

  it('reports a dry-run DENY in shadow without denying', () => {
    const { simulated, evaluated } = both([...SEED, 'authz-dry-run.yaml'], { method: 'DELETE', path: '/x' });
    // The seed ALLOW still denies DELETE; the point here is the shadow result of the dry-run rule.
    expect(simulated.rbac?.shadow).toEqual([
      { action: 'DENY', policy: 'ns[default]-policy[deny-delete]-rule[0]', effect: 'denied' },
    ]);
    const onlyDryRun = both(['authz-dry-run.yaml'], { method: 'DELETE', path: '/x' });
    expect(onlyDryRun.simulated).toMatchObject({
      rbac: { decision: 'ALLOW', shadow: [{ action: 'DENY', effect: 'denied' }] },
      cluster: 'inbound|8080||',
    });
    expect(onlyDryRun.evaluated).toMatchObject({
      decision: 'ALLOW',
      shadow: [{ action: 'DENY', result: 'DENY', policy: 'ns[default]-policy[deny-delete]-rule[0]' }],
    });
    expect(evaluated.decision).toBe(simulated.rbac?.decision);
  });

  it('closes TCP connections an HTTP-only ALLOW cannot allow', () => {
    const { simulated, evaluated } = both(SEED, { port: 5432 });
    expect(simulated).toMatchObject({ rbac: { decision: 'DENY' }, denied: { connection: 'closed' } });
    expect(evaluated.decision).toBe('DENY');
  });

  it('a plaintext caller has no identity, so a principal rule cannot match', () => {
    const result = simulate(sidecarConfig(snapshotOf(...SEED), BACKEND), {
      direction: 'inbound',
      port: 8080,
      protocol: 'http',
      tls: false,
      path: '/api/items',
      headers: { 'x-forwarded-client-cert': `By=spiffe://${FRONTEND}` },
    });
    expect(result).toMatchObject({ filterChain: '0.0.0.0_8080-plaintext', rbac: { decision: 'DENY' } });
  });

  /**
   * Istio's default path normalization (meshConfig BASE) sets `normalize_path` on the inbound HTTP
   * connection manager, so Envoy resolves `/reports/../admin` to `/admin` before RBAC and the DENY on
   * /admin holds, as `evaluateAuthorization` decides.
   */
  it('normalizes the path before RBAC, so dot segments cannot dodge a DENY', () => {
    const files = ['authz-allow-frontend-anything.yaml', 'authz-deny-admin.yaml'];
    const { simulated, evaluated } = both(files, { path: '/reports/../admin' });
    expect(evaluated.decision).toBe('DENY');
    expect(simulated.rbac?.decision).toBe('DENY');
  });

  /** Envoy's `:scheme` is https once the sidecar has terminated TLS, which a rule can require. */
  it('sees :scheme https on an mTLS request and http on a plaintext one', () => {
    const config = sidecarConfig(snapshotOf('authz-https-only.yaml'), BACKEND);
    const call = { direction: 'inbound', port: 8080, protocol: 'http', host: 'backend:8080' } as const;
    expect(
      simulate(config, { ...call, tls: true, alpn: ['istio-http/1.1'], sourcePrincipal: FRONTEND }),
    ).toMatchObject({ rbac: { decision: 'ALLOW' }, cluster: 'inbound|8080||' });
    expect(simulate(config, { ...call, tls: false })).toMatchObject({ rbac: { decision: 'DENY' } });
  });
});
