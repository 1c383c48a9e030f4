import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from './mesh-processes.js';
import { BIN } from './processes.js';

/**
 * The local platform's supervisor keeps sidecars running, as Istio's agent keeps Envoy: a sidecar
 * killed beside its running app is restarted (with backoff) and logged, `meshctl local status` counts
 * the restart, and exits non-zero while a workload is not ready.
 */

const dir = mkdtempSync(join(tmpdir(), 'mesh-restart-'));
const stateDir = join(dir, 'state');

function meshctl(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [BIN.meshctl, ...args, '--state-dir', stateDir],
      { encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
}

interface Instance {
  instance: string;
  appPid: number;
  proxyPid: number;
  restarts?: number;
}

const runState = () =>
  JSON.parse(readFileSync(join(stateDir, 'local', 'run.json'), 'utf8')) as { instances: Instance[] };
const web = () => runState().instances.find((i) => i.instance === 'web-0') as Instance;

beforeAll(async () => {
  mkdirSync(join(dir, 'config'));
  writeFileSync(
    join(dir, 'config', 'services.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: default }\nspec:\n  selector: { app: web }\n  ports: [{ name: http, port: 8080, targetPort: 8080 }]\n',
  );
  writeFileSync(
    join(dir, 'app.mjs'),
    "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('web')).listen(Number(process.env.PORT), process.env.HOST);\n",
  );
  writeFileSync(
    join(dir, 'mesh.yaml'),
    'apiVersion: local.meshctl.dev/v1alpha1\nkind: LocalMesh\nmetadata: { name: restart }\nspec:\n  config: [config/]\n  workloads:\n    - name: web\n      labels: { app: web }\n      command: [node, app.mjs]\n      ports: [8080]\n',
  );
  const up = await meshctl(['local', 'up', '-f', join(dir, 'mesh.yaml'), '--detach', '--xds-port', '0']);
  if (up.code !== 0) throw new Error(`local up failed:\n${up.output}`);
}, 150_000);

afterAll(async () => {
  await meshctl(['local', 'down']);
  rmSync(dir, { recursive: true, force: true });
});

describe('the supervisor', () => {
  it('restarts a killed sidecar, logs it, and status counts the restart', async () => {
    const before = web();
    expect(before.restarts ?? 0).toBe(0);
    process.kill(before.proxyPid, 'SIGKILL');
    await waitFor(
      async () => {
        const now = web();
        return (
          now.restarts === 1 &&
          now.proxyPid !== before.proxyPid &&
          (await meshctl(['local', 'status'])).code === 0
        );
      },
      60_000,
      () => `sidecar not restarted and ready: ${JSON.stringify(web())}`,
    );
    const log = readFileSync(join(stateDir, 'logs', 'supervisor.log'), 'utf8');
    expect(log).toMatch(
      /web-0: the sidecar exited \(SIGKILL\); restarting it in 1 s \(restart 1, log .*web-0\.proxy\.log\)/,
    );
    expect(log).toContain('web-0: sidecar restarted, ready (restart 1)');
    const status = await meshctl(['local', 'status', '-o', 'json']);
    expect(JSON.parse(status.output).workloads).toMatchObject([
      { instance: 'web-0', proxy: 'ready', xds: 'synced', restarts: 1 },
    ]);
    const table = (await meshctl(['local', 'status'])).output.split('\n');
    expect(table[1]).toMatch(/^web-0 .* ready +1 +synced /);
  }, 90_000);

  it('status exits non-zero, naming the instance, once a workload is not ready', async () => {
    // The app exits: its sidecar goes with it (as a pod failing readiness), and is not restarted.
    process.kill(web().appPid, 'SIGKILL');
    await waitFor(
      async () => (await meshctl(['local', 'status'])).code === 1,
      30_000,
      () => 'status still exits 0',
    );
    const status = await meshctl(['local', 'status']);
    expect(status.output).toMatch(/^web-0 .* not ready /m);
    expect(status.output).toContain('not ready: web-0');
  }, 60_000);
});
