import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { meshctl } from './processes.js';

/**
 * Fail closed on config (DESIGN.md §12), on real processes: an ALLOW policy that refuses a caller
 * stays enforced while its file has a YAML syntax error or a schema error, and across an istiod
 * restart with the file still broken; istiod reports it (`/debug/configz`, the
 * `pilot_config_invalid_resources` gauge). A valid change applies; deleting the file removes it.
 */

const SERVICES = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports:
    - { name: http, port: 8080, targetPort: 8080 }
`;

/** Only `frontend` may call the backend; `/public` too when `publicPath` is set. */
const ALLOW = (action = 'ALLOW', publicPath = false) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: backend-allow, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ${action}
  rules:
    - from: [{ source: { principals: ["cluster.local/ns/default/sa/frontend"] } }]
${publicPath ? '    - to: [{ operation: { paths: ["/public"] } }]\n' : ''}`;

const mesh = new LoopbackMesh();
let caller: SidecarProcess;

/** curl as an application would run it, through its sidecar's forward proxy. */
async function status(path: string): Promise<number> {
  const stdout = await new Promise<string>((resolve) => {
    execFile(
      'curl',
      ['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://backend:8080${path}`],
      { env: { ...process.env, http_proxy: caller.proxyUrl, no_proxy: '' } },
      (_err, out) => resolve(out),
    );
  });
  return Number(stdout);
}

async function monitoring(path: string): Promise<string> {
  return (await fetch(`http://127.0.0.1:${mesh.istiod?.ports.monitoringPort}${path}`)).text();
}

interface Configz {
  invalid: { code: string; message: string; source?: { file: string; line: number } }[];
  lastGoodKept: { kind: string; name: string; message: string }[];
  resources: { kind: string; name: string; lastGoodKept?: boolean }[];
}

const configz = async () => JSON.parse(await monitoring('/debug/configz')) as Configz;

async function invalidGauge(): Promise<number> {
  const line = (await monitoring('/metrics'))
    .split('\n')
    .find((l) => l.startsWith('pilot_config_invalid_resources '));
  return Number(line?.split(' ')[1]);
}

/** Several requests over a second, so that a push removing the policy would have landed. */
async function stillRefused(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    expect(await status('/api')).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function reported(code: string): Promise<Configz> {
  await waitFor(
    async () => (await configz()).invalid.some((f) => f.code === code),
    10_000,
    async () => `no ${code} in /debug/configz: ${JSON.stringify(await configz())}`,
  );
  const seen = await configz();
  expect(seen.lastGoodKept).toMatchObject([{ kind: 'AuthorizationPolicy', name: 'backend-allow' }]);
  expect(seen.lastGoodKept[0]?.message).toMatch(/last good version kept$/);
  expect(seen.resources.find((r) => r.name === 'backend-allow')?.lastGoodKept).toBe(true);
  expect(await invalidGauge()).toBeGreaterThan(0);
  return seen;
}

beforeAll(async () => {
  mesh.writeConfig('services.yaml', SERVICES);
  mesh.writeConfig('authz.yaml', ALLOW());
  await mesh.startIstiod();
  const app = await mesh.startApp('backend', '127.0.45.2');
  await mesh.startSidecar({
    name: 'backend-1',
    labels: { app: 'backend' },
    address: '127.0.45.2',
    inbound: { 8080: app },
  });
  caller = await mesh.startSidecar({
    name: 'caller-1',
    serviceAccount: 'caller',
    labels: { app: 'caller' },
    address: '127.0.45.1',
  });
  await waitFor(
    async () => (await status('/api')) === 403,
    20_000,
    () => caller.logs.join('\n'),
  );
}, 90_000);

afterAll(async () => {
  await mesh.stop();
  rmSync(statusDir, { recursive: true, force: true });
});

/**
 * `meshctl local status` pointed at this mesh's istiod: the run state `meshctl local up` would leave
 * (istiod's ports, this test process as the supervisor, no workloads of its own).
 */
const statusDir = mkdtempSync(join(tmpdir(), 'e2e-status-'));
function localStatus(output: 'text' | 'json'): string {
  mkdirSync(join(statusDir, 'local'), { recursive: true });
  const { xdsPort, secureXdsPort, monitoringPort } = mesh.istiod!.ports;
  const run = { mesh: 'fail-closed', meshFile: '', mode: 'explicit', supervisorPid: process.pid };
  writeFileSync(
    join(statusDir, 'local', 'run.json'),
    JSON.stringify({
      ...run,
      startedAt: new Date().toISOString(),
      ready: true,
      configDir: mesh.configDir,
      istiod: { xdsPort, secureXdsPort, monitoringPort, log: '' },
      instances: [],
    }),
  );
  const result = meshctl(['local', 'status', '--state-dir', statusDir, '-o', output]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

it('keeps an ALLOW policy enforced through a YAML syntax error and a schema error, and reports both', async () => {
  mesh.writeConfig('authz.yaml', `${ALLOW()}    - to: [unclosed\n`);
  const syntax = await reported('YAML_SYNTAX');
  expect(syntax.invalid.find((f) => f.code === 'YAML_SYNTAX')?.source?.file).toBe('authz.yaml');
  await stillRefused();

  mesh.writeConfig('authz.yaml', ALLOW('ALLOWW'));
  const schema = await reported('SCHEMA_ENUM');
  expect(schema.invalid).toMatchObject([{ code: 'SCHEMA_ENUM', source: { file: 'authz.yaml', line: 6 } }]);
  await stillRefused();

  const text = localStatus('text');
  expect(text).toContain('INVALID CONFIG');
  expect(text).toMatch(
    /Error \[SCHEMA_ENUM\] \(AuthorizationPolicy default\/backend-allow authz\.yaml:6\) spec\.action/,
  );
  expect(text).toContain(
    'last good version kept in force: AuthorizationPolicy default/backend-allow (authz.yaml:1)',
  );
  const json = JSON.parse(localStatus('json')) as { config: Pick<Configz, 'invalid' | 'lastGoodKept'> };
  expect(json.config.lastGoodKept).toMatchObject([{ kind: 'AuthorizationPolicy', name: 'backend-allow' }]);
});

it('keeps it enforced after istiod restarts with the file still broken', async () => {
  await mesh.istiod?.stop();
  await mesh.startIstiod(true);
  await reported('SCHEMA_ENUM');
  // Wait until the backend's sidecar has taken istiod's full config again, then call it.
  await waitFor(
    async () => {
      const syncz = JSON.parse(await monitoring('/debug/syncz')) as {
        proxy: string;
        types: Record<string, { status: string }>;
      }[];
      const backend = syncz.find((s) => s.proxy.includes('backend-1'));
      const types = Object.values(backend?.types ?? {});
      return types.length >= 4 && types.every((t) => t.status === 'SYNCED');
    },
    30_000,
    async () => `backend sidecar not synced with the restarted istiod: ${await monitoring('/debug/syncz')}`,
  );
  await stillRefused();
}, 60_000);

it('applies a valid change, and removes the policy with its file', async () => {
  mesh.writeConfig('authz.yaml', ALLOW('ALLOW', true));
  await waitFor(
    async () => (await status('/public')) === 200,
    10_000,
    () => 'the fixed policy did not apply',
  );
  expect(await status('/api')).toBe(403);
  expect(await configz()).toMatchObject({ invalid: [], lastGoodKept: [] });
  expect(await invalidGauge()).toBe(0);

  unlinkSync(join(mesh.configDir, 'authz.yaml'));
  await waitFor(
    async () => (await status('/api')) === 200,
    10_000,
    () => 'the deleted policy is still enforced',
  );
});
