import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { authzCheckResult } from '../src/diagnose/authz-check-result.js';
import { DiagnoseError, meshFromFiles } from '../src/diagnose/diagnose-mesh.js';
import { renderAuthzCheck } from '../src/diagnose/render-authz-check.js';
import { renderTlsCheck } from '../src/diagnose/render-tls-check.js';
import { tlsCheckResult } from '../src/diagnose/tls-check-result.js';

/**
 * `meshctl tls-check` and `meshctl authz check` over YAML files: the seed's frontend/backend, the
 * results (what `-o json` prints) and their golden table renderings.
 */

const dir = mkdtempSync(join(tmpdir(), 'meshctl-diagnose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pod = (name: string, app: string, ip: string, sa: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
  labels: { app: ${app}, security.istio.io/tlsMode: istio }
spec:
  serviceAccountName: ${sa}
  containers: [{ name: app, image: app, ports: [{ containerPort: 8080 }] }]
status: { podIP: ${ip} }
`;

const WORKLOADS = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  clusterIP: 10.96.0.30
  selector: { app: backend }
  ports: [{ name: http, port: 8080 }]
---
${pod('backend-0', 'backend', '10.0.0.30', 'backend')}---
${pod('frontend-0', 'frontend', '10.0.0.10', 'frontend')}---
${pod('other-0', 'other', '10.0.0.20', 'other')}`;

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default-strict-mtls, namespace: default }
spec: { mtls: { mode: STRICT } }
`;

const ALLOW = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-frontend-to-backend, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: [cluster.local/ns/default/sa/frontend] } }]
      to: [{ operation: { methods: [GET, POST], paths: ['/api/*'] } }]
`;

const DISABLE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: default }
spec:
  host: backend
  trafficPolicy: { tls: { mode: DISABLE } }
`;

function files(...docs: [string, string][]): string[] {
  return docs.map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

describe('tls-check over files', () => {
  it('is OK under STRICT with auto-mTLS', async () => {
    const mesh = await meshFromFiles(files(['workloads.yaml', WORKLOADS], ['strict.yaml', STRICT]));
    const result = await tlsCheckResult(mesh, 'frontend', { service: 'backend' });
    expect(result.conflicts).toBe(0);
    expect(renderTlsCheck(result, 'table')).toBe(
      [
        'Client: frontend-0 (spiffe://cluster.local/ns/default/sa/frontend)',
        'HOST:PORT                               STATUS  SERVER  CLIENT  AUTHN POLICY                 DESTINATION RULE',
        'backend.default.svc.cluster.local:8080  OK      STRICT  AUTO    default-strict-mtls.default  -',
      ].join('\n'),
    );
  });

  it('is a CONFLICT, with the reason, when a DestinationRule disables TLS', async () => {
    const mesh = await meshFromFiles(
      files(['workloads.yaml', WORKLOADS], ['strict.yaml', STRICT], ['dr.yaml', DISABLE]),
    );
    const result = await tlsCheckResult(mesh, 'frontend-0', { service: 'backend.default:8080' });
    expect(result.conflicts).toBe(1);
    expect(renderTlsCheck(result, 'table').split('\n').slice(2)).toEqual([
      'backend.default.svc.cluster.local:8080  CONFLICT  STRICT  DISABLE  default-strict-mtls.default  backend.default',
      'CONFLICT backend.default.svc.cluster.local:8080 -> default/backend-0 (10.0.0.30:8080): STRICT server refuses plaintext, and the client sends plaintext',
    ]);
    expect(JSON.parse(renderTlsCheck(result, 'json'))).toMatchObject({
      source: 'files',
      rows: [
        { status: 'CONFLICT', client: 'DISABLE', endpoints: [{ sends: 'plaintext', server: 'STRICT' }] },
      ],
    });
  });

  it('names the workloads there are when the one given is unknown', async () => {
    const mesh = await meshFromFiles(files(['workloads.yaml', WORKLOADS]));
    await expect(tlsCheckResult(mesh, 'nope', {})).rejects.toThrow(
      new DiagnoseError(
        'no workload or instance "nope"; known: backend, backend-0, frontend, frontend-0, other, other-0',
      ),
    );
    await expect(tlsCheckResult(mesh, 'frontend', { service: 'db' })).rejects.toThrow(/no service "db"/);
  });
});

describe('authz check over files', () => {
  it("lists the policies and allows frontend's GET /api/data by allow-frontend-to-backend", async () => {
    const mesh = await meshFromFiles(files(['workloads.yaml', WORKLOADS], ['allow.yaml', ALLOW]));
    const result = authzCheckResult(mesh, 'backend', {
      caller: { from: 'frontend' },
      request: { method: 'GET', path: '/api/data' },
    });
    expect(renderAuthzCheck(result, 'table')).toBe(
      [
        'Workload: backend-0 (namespace default)',
        'ACTION  AuthorizationPolicy                RULES',
        'ALLOW   allow-frontend-to-backend.default  1',
        '',
        'Request: GET /api/data on port 8080 from spiffe://cluster.local/ns/default/sa/frontend (10.0.0.10)',
        'Decision: ALLOW',
        '  allowed by allow-frontend-to-backend.default rule 0',
        '  RBAC policy: ns[default]-policy[allow-frontend-to-backend]-rule[0]',
      ].join('\n'),
    );
  });

  it('denies other by default', async () => {
    const mesh = await meshFromFiles(files(['workloads.yaml', WORKLOADS], ['allow.yaml', ALLOW]));
    const result = authzCheckResult(mesh, 'backend-0', {
      caller: { from: 'other' },
      request: { path: '/api/data', headers: ['x-team=a'] },
    });
    expect(renderAuthzCheck(result, 'table').split('\n').slice(4)).toEqual([
      'Request: GET /api/data with headers x-team on port 8080 from spiffe://cluster.local/ns/default/sa/other (10.0.0.20)',
      'Decision: DENY',
      '  denied by default: ALLOW policies apply and none of their rules matches',
      '  The client gets: 403 RBAC: access denied',
    ]);
  });

  it('refuses contradictory callers and malformed headers', async () => {
    const mesh = await meshFromFiles(files(['workloads.yaml', WORKLOADS]));
    expect(() =>
      authzCheckResult(mesh, 'backend', { caller: { from: 'frontend', namespace: 'x' }, request: {} }),
    ).toThrow(/at most one of --from, --principal and --namespace/);
    expect(() =>
      authzCheckResult(mesh, 'backend', { caller: {}, request: { headers: ['novalue'] } }),
    ).toThrow(/invalid --header "novalue"/);
  });
});

describe('exit codes of the built commands', () => {
  const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [MESHCTL, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, MESH_STATE_DIR: join(dir, 'no-mesh') },
    });

  // Seven meshctl processes: seconds each on a loaded machine.
  it('0 OK, 1 conflict or denial, 2 unknown workload, 3 no local mesh', () => {
    const [workloads, strict, disable, allow] = files(
      ['workloads.yaml', WORKLOADS],
      ['strict.yaml', STRICT],
      ['dr.yaml', DISABLE],
      ['allow.yaml', ALLOW],
    ) as [string, string, string, string];
    expect(run(['tls-check', 'frontend', '-f', workloads, '-f', strict]).status).toBe(0);
    expect(run(['tls-check', 'frontend', '-f', workloads, '-f', strict, '-f', disable]).status).toBe(1);
    expect(run(['authz', 'check', 'backend', '-f', workloads, '-f', allow, '--from', 'other']).status).toBe(
      1,
    );
    const unknown = run(['authz', 'check', 'nope', '-f', workloads]);
    expect([unknown.status, unknown.stderr]).toEqual([
      2,
      expect.stringContaining('no workload or instance "nope"'),
    ]);
    for (const command of [['tls-check', 'frontend'], ['authz', 'check', 'backend'], ['proxy-status']])
      expect(run(command).status).toBe(3);
  }, 180_000);
});
