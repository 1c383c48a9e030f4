import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';

/**
 * Denial attribution in the data plane (issue 17 item 4), on real sidecars: every 403 the backend's
 * HTTP RBAC filter sends and every connection its network RBAC filter closes names the deciding policy
 * and rule in the access log (Envoy's `rbac_access_denied_matched_policy[ns[NS]-policy[NAME]-rule[N]]`,
 * `[none]` for the default deny) and in `mesh_proxy_rbac_denied_total{policy}`; the caller still only
 * gets `RBAC: access denied`.
 */

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports:
    - { name: http, port: 8080, targetPort: 8080 }
    - { name: tcp-echo, port: 9000, targetPort: 9000 }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: DENY
  rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-echo, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: DENY
  rules: [{ to: [{ operation: { ports: ["9000"] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-frontend-to-backend, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: ["cluster.local/ns/default/sa/frontend"] } }]
      to: [{ operation: { methods: ["GET"], paths: ["/api/*", "/admin*"] } }]
`;

const mesh = new LoopbackMesh();
const logDir = mkdtempSync(join(tmpdir(), 'mesh-denials-'));
const accessLog = join(logDir, 'backend-access.log');
let frontend: SidecarProcess;
let other: SidecarProcess;
let backend: SidecarProcess;
let echo: Server;

/** curl through a sidecar's forward proxy: `<body>\n<status>`. */
function curl(proxy: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(
      'curl',
      ['-s', '-m', '5', '-w', '\n%{http_code}', ...args],
      { encoding: 'utf8', env: { ...process.env, http_proxy: proxy, HTTP_PROXY: proxy, no_proxy: '' } },
      (_err, out) => resolve(out),
    );
    child.stdin?.end(input ?? '');
  });
}

/** The backend sidecar's access log entries (one JSON object a line). */
function entries(): Record<string, unknown>[] {
  return readFileSync(accessLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  mesh.writeConfig('config.yaml', CONFIG);
  await mesh.startIstiod();
  const app = await mesh.startApp('backend', '127.0.21.2');
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.21.2', r));
  backend = await mesh.startSidecar({
    name: 'backend-1',
    labels: { app: 'backend' },
    address: '127.0.21.2',
    inbound: { 8080: app, 9000: { host: '127.0.21.2', port: (echo.address() as { port: number }).port } },
    extraArgs: ['--access-log', accessLog],
  });
  frontend = await mesh.startSidecar({
    name: 'frontend',
    labels: { app: 'frontend' },
    address: '127.0.21.1',
  });
  other = await mesh.startSidecar({ name: 'other', labels: { app: 'other' }, address: '127.0.21.3' });
  await waitFor(
    async () => (await curl(frontend.proxyUrl, ['http://backend:8080/api/ready'])).endsWith('\n200'),
    15_000,
    () => frontend.logs.join('\n') + backend.logs.join('\n'),
  );
}, 90_000);

afterAll(async () => {
  await mesh.stop();
  echo?.close();
  rmSync(logDir, { recursive: true, force: true });
});

describe('denial attribution', () => {
  it('a 403 of a DENY rule names ns[default]-policy[deny-admin]-rule[0]; the body says only RBAC: access denied', async () => {
    expect(await curl(frontend.proxyUrl, ['http://backend:8080/admin/users'])).toBe(
      'RBAC: access denied\n403',
    );
    await waitFor(
      () => entries().some((e) => e['path'] === '/admin/users'),
      5_000,
      () => readFileSync(accessLog, 'utf8'),
    );
    expect(entries().find((e) => e['path'] === '/admin/users')).toMatchObject({
      response_code: 403,
      response_code_details: 'rbac_access_denied_matched_policy[ns[default]-policy[deny-admin]-rule[0]]',
    });
  });

  it('the default deny (no ALLOW rule matched) is rbac_access_denied_matched_policy[none], as in Envoy', async () => {
    expect(await curl(other.proxyUrl, ['http://backend:8080/api/data'])).toBe('RBAC: access denied\n403');
    await waitFor(
      () => entries().some((e) => e['path'] === '/api/data'),
      5_000,
      () => readFileSync(accessLog, 'utf8'),
    );
    expect(entries().find((e) => e['path'] === '/api/data')).toMatchObject({
      response_code: 403,
      response_code_details: 'rbac_access_denied_matched_policy[none]',
    });
  });

  // Istio drops a DENY rule's HTTP-only conditions on TCP chains (denying more, never less), so
  // deny-admin matches every connection on 9000 too; Envoy names the first matching policy in name
  // order, deny-admin before deny-echo. `meshctl authz check backend --from frontend --port 9000` agrees.
  it('a connection the network RBAC filter closes names its rule, and the denials metric counts each policy', async () => {
    const out = await curl(
      frontend.proxyUrl,
      ['-p', '-x', frontend.proxyUrl, 'telnet://backend:9000'],
      'ping\n',
    );
    expect(out).not.toContain('ping');
    await waitFor(
      () => entries().some((e) => typeof e['connection_termination_details'] === 'string'),
      5_000,
      () => readFileSync(accessLog, 'utf8'),
    );
    expect(entries().find((e) => typeof e['connection_termination_details'] === 'string')).toMatchObject({
      connection_termination_details:
        'rbac_access_denied_matched_policy[ns[default]-policy[deny-admin]-rule[0]]',
    });
    const metrics = await (await fetch('http://127.0.21.2:15090/stats/prometheus')).text();
    for (const [policy, filter] of [
      ['ns\\[default\\]-policy\\[deny-admin\\]-rule\\[0\\]', 'http'],
      ['none', 'http'],
      ['ns\\[default\\]-policy\\[deny-admin\\]-rule\\[0\\]', 'network'],
    ])
      expect(metrics).toMatch(
        new RegExp(`mesh_proxy_rbac_denied_total\\{[^}]*policy="${policy}"[^}]*filter="${filter}"`),
      );
  });
});
