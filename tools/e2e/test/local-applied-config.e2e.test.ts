import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from './mesh-processes.js';
import { BIN } from './processes.js';

/**
 * What `meshctl local apply` adds is tracked by resource, not by file name, and stays until `local
 * delete` removes it, across `down` and `up`. Through the built meshctl, as a user runs it: a deny-all
 * policy applied from a/policy.yaml survives applying and deleting an unrelated b/policy.yaml, and a
 * restart of the mesh, which says what it restored.
 */

const dir = mkdtempSync(join(tmpdir(), 'mesh-applied-'));
const stateDir = join(dir, 'state');

const MESH = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: applied }
spec:
  config: [config/]
  workloads:
    - name: web
      labels: { app: web }
      command: [node, app.mjs]
      ports: [8080]
    - name: client
      labels: { app: client }
      command: [node, idle.mjs]
`;
const DENY_ALL_FOR_WEB = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: web-deny-all, namespace: default }
spec:
  selector: { matchLabels: { app: web } }
`;
/** In the mesh file's config; `local apply` of another version overrides it. */
const webRule = (subset: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: default }
spec: { host: web, subsets: [{ name: ${subset}, labels: { app: web } }] }
`;
const WEB_TIMEOUT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web]
  http: [{ timeout: 10s, route: [{ destination: { host: web } }] }]
`;

function meshctl(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [BIN.meshctl, ...args],
      { encoding: 'utf8', timeout: 150_000, env: { ...process.env, MESH_STATE_DIR: stateDir } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
}

/** The statuses of `count` requests from the client workload to web. */
async function statuses(count = 3): Promise<string> {
  const script = `for i in $(seq ${count}); do curl -s -m 5 -o /dev/null -w '%{http_code} ' http://web:8080/; done`;
  return (await meshctl(['local', 'exec', 'client', '--', 'sh', '-c', script])).output.trim();
}

async function up(): Promise<string> {
  const result = await meshctl(['local', 'up', '-f', join(dir, 'mesh.yaml'), '--detach', '--xds-port', '0']);
  if (result.code !== 0) throw new Error(`local up failed:\n${result.output}`);
  return result.output;
}

function write(path: string, yaml: string): string {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), yaml);
  return join(dir, path);
}

beforeAll(async () => {
  write('mesh.yaml', MESH);
  write(
    'config/services.yaml',
    'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: default }\nspec:\n  selector: { app: web }\n  ports: [{ name: http, port: 8080, targetPort: 8080 }]\n',
  );
  write(
    'app.mjs',
    "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('web')).listen(Number(process.env.PORT), process.env.HOST);\n",
  );
  write('idle.mjs', 'setInterval(() => undefined, 1 << 30);\n');
  write('config/web-rule.yaml', webRule('v1'));
  await up();
  await waitFor(
    async () => (await statuses(1)) === '200',
    20_000,
    () => 'web not reachable',
  );
}, 180_000);

afterAll(async () => {
  await meshctl(['local', 'down']);
  rmSync(dir, { recursive: true, force: true });
});

const a = join(dir, 'a', 'policy.yaml');

it('keeps a policy applied from a/policy.yaml when b/policy.yaml is applied and deleted', async () => {
  write('a/policy.yaml', DENY_ALL_FOR_WEB);
  const b = write('b/policy.yaml', WEB_TIMEOUT);
  expect((await meshctl(['local', 'apply', '-f', a])).code).toBe(0);
  await waitFor(
    async () => (await statuses(1)) === '403',
    10_000,
    () => 'deny-all not in force',
  );

  // Same file name, another resource: the deny-all stays.
  const applied = await meshctl(['local', 'apply', '-f', b]);
  expect(applied.code).toBe(0);
  await new Promise((r) => setTimeout(r, 1_500)); // istiod's push of b
  expect(await statuses()).toBe('403 403 403');
  expect(applied.output).toContain('VirtualService default/web created');
  const deleted = await meshctl(['local', 'delete', '-f', b]);
  expect(deleted.code).toBe(0);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await statuses()).toBe('403 403 403');
  expect(deleted.output).toContain('VirtualService default/web deleted');
}, 120_000);

it('keeps what was applied across down + up, says so, until local delete', async () => {
  // Applied config outlives the mesh; up says what it restored, and it is in force at once.
  await meshctl(['local', 'apply', '-f', write('a/policy.yaml', DENY_ALL_FOR_WEB)]);
  expect((await meshctl(['local', 'down'])).code).toBe(0);
  const restarted = await up();
  expect(await statuses()).toBe('403 403 403');
  expect(restarted).toContain('restoring 1 resource(s) added by "local apply"');
  expect(restarted).toContain('AuthorizationPolicy default/web-deny-all');

  expect((await meshctl(['local', 'delete', '-f', a])).code).toBe(0);
  await waitFor(
    async () => (await statuses(1)) === '200',
    10_000,
    () => 'deny-all still in force after delete',
  );
}, 180_000);

it("local status shows a resource applied over the mesh file's as an override, not as invalid config", async () => {
  const rule = write('override/web-rule.yaml', webRule('v2'));
  expect((await meshctl(['local', 'apply', '-f', rule])).code).toBe(0);
  try {
    const overridden = 'DestinationRule default/web (mesh/web-rule.yaml:1) overridden by applied.yaml:';
    await waitFor(
      async () => (await meshctl(['local', 'status'])).output.includes(overridden),
      10_000,
      async () => `no override in local status:\n${(await meshctl(['local', 'status'])).output}`,
    );
    const status = await meshctl(['local', 'status']);
    expect(status.output).toContain('OVERRIDDEN BY "local apply" (1;');
    expect(status.output).not.toContain('INVALID CONFIG');
    expect(status.output).not.toContain('DUPLICATE_RESOURCE');
  } finally {
    expect((await meshctl(['local', 'delete', '-f', rule])).code).toBe(0);
  }
}, 120_000);
