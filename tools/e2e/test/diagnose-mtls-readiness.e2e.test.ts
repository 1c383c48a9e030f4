import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from './mesh-processes.js';
import { BIN } from './processes.js';

/**
 * `meshctl mtls readiness` on a running local mesh (explicit mode): frontend calls backend over the
 * mesh's mTLS, and a curl from the host (outside the mesh) sends plaintext to backend's inbound port,
 * which PERMISSIVE, Istio's default, accepts. The command reads what backend's own sidecar recorded:
 * it names the outside caller and frontend's identity and exits 1; once a STRICT PeerAuthentication
 * covers the namespace no workload is PERMISSIVE any more and it exits 0.
 */

const APP = `import { createServer } from 'node:http';
createServer((req, res) => res.end(JSON.stringify({ path: req.url })))
  .listen(Number(process.env.PORT), process.env.HOST);
`;
const IDLE = 'setInterval(() => undefined, 1 << 30);\n';

const MESH = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: readiness }
spec:
  config: [config/]
  workloads:
    - name: frontend
      labels: { app: frontend }
      command: [node, idle.mjs]
    - name: backend
      labels: { app: backend }
      command: [node, app.mjs]
      ports: [8080]
`;

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
`;

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default-strict-mtls, namespace: default }
spec: { mtls: { mode: STRICT } }
`;

/** Proposals for `--policy`: STRICT for backend only, and for frontend only. */
const strictFor = (app: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: ${app}-strict, namespace: default }
spec:
  selector: { matchLabels: { app: ${app} } }
  mtls: { mode: STRICT }
`;

const dir = mkdtempSync(join(tmpdir(), 'mesh-mtls-readiness-'));
const stateDir = join(dir, 'state');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[]): Promise<Result> {
  return new Promise((resolve) =>
    execFile(
      file,
      args,
      { timeout: 120_000, env: { ...process.env, MESH_STATE_DIR: stateDir } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const meshctl = (args: string[]) => run(process.execPath, [BIN.meshctl, ...args]);

let backendAddress = '';
/** A caller outside the mesh: curl on the host, plaintext to backend's inbound port. */
const outsideCurl = () =>
  run('curl', ['-s', '-m', '5', '-w', ' %{http_code}', `http://${backendAddress}:8080/outside`]);

beforeAll(async () => {
  writeFileSync(join(dir, 'mesh.yaml'), MESH);
  writeFileSync(join(dir, 'app.mjs'), APP);
  writeFileSync(join(dir, 'idle.mjs'), IDLE);
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'service.yaml'), SERVICE);
  const up = await meshctl(['local', 'up', '-f', join(dir, 'mesh.yaml'), '--detach', '--xds-port', '0']);
  if (up.code !== 0) throw new Error(`local up failed:\n${up.stdout}\n${up.stderr}`);
}, 150_000);

afterAll(async () => {
  const down = await meshctl(['local', 'down']);
  expect(down.code).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

it('names the plaintext caller from outside the mesh and the mTLS caller, and exits 1', async () => {
  const script = `curl -s -m 5 -w ' %{http_code}' 'http://backend:8080/api/data'`;
  const fromFrontend = await meshctl(['local', 'exec', 'frontend', '--', 'sh', '-c', script]);
  expect(fromFrontend.stdout).toBe('{"path":"/api/data"} 200');
  const status = JSON.parse((await meshctl(['local', 'status', '-o', 'json'])).stdout) as {
    workloads: { instance: string; address: string }[];
  };
  backendAddress = status.workloads.find((w) => w.instance === 'backend-0')?.address ?? '';
  expect(backendAddress).not.toBe('');
  const outside = await outsideCurl();
  expect(outside.stdout).toBe('{"path":"/outside"} 200');

  const readiness = await meshctl(['mtls', 'readiness', '-o', 'json']);
  expect(readiness.code, readiness.stderr).toBe(1);
  const backendReadiness = JSON.parse(readiness.stdout).workloads.find(
    (w: { instance: string }) => w.instance === 'backend-0',
  );
  expect(backendReadiness).toMatchObject({
    permissivePorts: ['*'],
    plaintext: [expect.objectContaining({ port: 8080, count: 1, caller: 'outside the mesh' })],
    mtls: ['spiffe://cluster.local/ns/default/sa/frontend'],
  });
  const table = await meshctl(['mtls', 'readiness', '-n', 'default']);
  expect(table.stdout).toContain(
    'backend-0.default  PERMISSIVE on * (default): STRICT would refuse 1 caller(s)',
  );
}, 60_000);

it('--policy: a proposed STRICT for backend refuses the outside caller, one for frontend refuses nobody', async () => {
  writeFileSync(join(dir, 'backend-strict.yaml'), strictFor('backend'));
  writeFileSync(join(dir, 'frontend-strict.yaml'), strictFor('frontend'));
  const forBackend = await meshctl(['mtls', 'readiness', '--policy', join(dir, 'backend-strict.yaml')]);
  expect(forBackend.code, forBackend.stderr).toBe(1);
  expect(forBackend.stdout).toContain(
    'backend-0.default  PERMISSIVE on * (default): the proposed policy would refuse 1 caller(s)',
  );
  expect(forBackend.stdout).toMatch(/ 8080 +1 +\S+ +outside the mesh$/m);
  const forFrontend = await meshctl(['mtls', 'readiness', '--policy', join(dir, 'frontend-strict.yaml')]);
  expect(forFrontend.code, forFrontend.stdout).toBe(0);
  expect(forFrontend.stdout).toContain(
    'backend-0.default  PERMISSIVE on * (default): the proposed policy refuses no caller',
  );
  const empty = await meshctl(['mtls', 'readiness', '--policy', join(dir, 'mesh.yaml')]);
  expect(empty.code).toBe(2);
  expect(empty.stderr).toContain('mesh.yaml holds no');
}, 60_000);

it('exits 0 once STRICT covers the namespace, and the outside caller it named is then refused', async () => {
  writeFileSync(join(dir, 'strict.yaml'), STRICT);
  const applied = await meshctl(['local', 'apply', '-f', join(dir, 'strict.yaml')]);
  expect(applied.code, applied.stderr).toBe(0);
  const readiness = await meshctl(['mtls', 'readiness']);
  expect(readiness.code, readiness.stdout + readiness.stderr).toBe(0);
  expect(readiness.stdout).toBe('No workload has a PERMISSIVE port: nothing to check.\n');
  // What the report predicted: once backend's sidecar has the policy, the plaintext caller is refused.
  await waitFor(
    // No HTTP answer at all (curl's 000): the connection is closed before any response.
    async () => (await outsideCurl()).stdout === ' 000',
    15_000,
    async () => (await outsideCurl()).stdout,
  );
}, 60_000);

it('refuses a bad --since as a usage error', async () => {
  const bad = await meshctl(['mtls', 'readiness', '--since', 'soon']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--since: "soon" is not a duration');
});
