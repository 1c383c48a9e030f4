import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { BIN } from './processes.js';

/**
 * What explicit mode keeps from other local processes (README, "What explicit mode does not
 * isolate"), with real processes: a sidecar's admin port listens on 127.0.0.1 only, on a port of its
 * own; the forward proxy (which speaks with the workload's identity) and the admin port refuse
 * processes of another user; and `meshctl local up` leaves its state — run state, logs, the copied
 * config with its Secrets, tokens, keys — readable by its user alone.
 */

const FRONTEND = '127.0.53.2';
const BACKEND = '127.0.53.3';
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
`;

/** This process's environment without proxy variables: each curl says whether it uses a proxy (`-x`). */
const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(https?|all|no|grpc)_proxy$/i.test(name)),
);

interface Answer {
  status: number;
  body: string;
}

/** curl, as `uid` when given (root only); status 0 when nothing answered. */
function curl(args: string[], uid?: number): Promise<Answer> {
  return new Promise((resolve) =>
    execFile(
      'curl',
      ['-s', '-m', '5', '-w', '\n%{http_code}', ...args],
      {
        encoding: 'utf8',
        env: ENV,
        ...(uid === undefined ? {} : { uid, gid: uid }),
      },
      (_err, stdout) => {
        const newline = stdout.lastIndexOf('\n');
        resolve({ status: Number(stdout.slice(newline + 1)), body: stdout.slice(0, newline) });
      },
    ),
  );
}

describe('a sidecar in explicit mode', () => {
  const mesh = new LoopbackMesh();
  let frontend: SidecarProcess;
  let adminPort: number;

  beforeAll(async () => {
    mesh.writeConfig('services.yaml', SERVICE);
    await mesh.startIstiod();
    const app = await mesh.startApp('backend', BACKEND);
    await mesh.startSidecar({
      name: 'backend-0',
      labels: { app: 'backend' },
      address: BACKEND,
      inbound: { 8080: app },
    });
    frontend = await mesh.startSidecar({
      name: 'frontend-0',
      labels: { app: 'frontend' },
      address: FRONTEND,
    });
    adminPort = Number(new URL(frontend.adminUrl).port);
    await waitFor(
      async () => (await curl(['-x', frontend.proxyUrl, 'http://backend:8080/'])).status === 200,
      20_000,
      () => 'backend not reachable through the frontend sidecar',
    );
  }, 90_000);

  afterAll(async () => {
    await mesh.stop();
  });

  it('serves admin on 127.0.0.1 only, on a port of its own, and not on the workload address', async () => {
    expect(new URL(frontend.adminUrl).hostname).toBe('127.0.0.1');
    expect((await curl([`${frontend.adminUrl}/ready`])).status).toBe(200);
    expect((await curl([`http://${FRONTEND}:${adminPort}/ready`])).status).toBe(0);
    expect((await curl([`http://${FRONTEND}:15000/ready`])).status).toBe(0);
    // Two sidecars share 127.0.0.1, each with its own admin port.
    expect(mesh.sidecars.map((s) => s.adminUrl)).toHaveLength(
      new Set(mesh.sidecars.map((s) => s.adminUrl)).size,
    );
  });

  it('serves its forward proxy and admin port to processes of its own user', async () => {
    expect(await curl(['-x', frontend.proxyUrl, 'http://backend:8080/who'])).toMatchObject({ status: 200 });
    expect((await curl([`${frontend.adminUrl}/certs`])).status).toBe(200);
  });

  // Another user takes root to create: as any other user the unit test (local-callers.test.ts) covers it.
  describe.skipIf(!isRoot)('to a process of another user (nobody)', () => {
    it('refuses the forward proxy, which would speak with the workload’s identity', async () => {
      for (const target of ['http://backend:8080/as-nobody', `http://${BACKEND}:8080/as-nobody`]) {
        const answer = await curl(['-x', frontend.proxyUrl, target], NOBODY);
        expect(answer.status).toBe(403);
        expect(answer.body).toContain(`the caller runs as uid ${NOBODY}`);
      }
      const tunnel = await curl(['-p', '-x', frontend.proxyUrl, 'http://backend:8080/tunnel'], NOBODY);
      expect(tunnel.status).not.toBe(200);
    });

    it('refuses the admin port: no /quitquitquit, no config dump', async () => {
      const quit = await curl(['-X', 'POST', `${frontend.adminUrl}/quitquitquit`], NOBODY);
      expect(quit.status).toBe(403);
      expect((await curl([`${frontend.adminUrl}/config_dump`], NOBODY)).status).toBe(403);
      expect(frontend.child.exitCode).toBeNull();
      expect((await curl([`${frontend.adminUrl}/ready`])).status).toBe(200);
    });
  });
});

describe('meshctl local up --detach', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-modes-'));
  const stateDir = join(dir, 'state');
  const meshctl = (args: string[]) =>
    new Promise<{ code: number; output: string }>((resolve) =>
      execFile(
        process.execPath,
        [BIN.meshctl, ...args, '--state-dir', stateDir],
        { encoding: 'utf8', timeout: 120_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      ),
    );

  beforeAll(async () => {
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'services.yaml'), SERVICE.replaceAll('backend', 'web'));
    writeFileSync(
      join(dir, 'config', 'secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata: { name: web-credential, namespace: default }\nstringData: { key: not-for-others }\n',
    );
    writeFileSync(
      join(dir, 'app.mjs'),
      "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('web')).listen(Number(process.env.PORT), process.env.HOST);\n",
    );
    writeFileSync(
      join(dir, 'mesh.yaml'),
      'apiVersion: local.meshctl.dev/v1alpha1\nkind: LocalMesh\nmetadata: { name: modes }\nspec:\n  config: [config/]\n  workloads:\n    - name: web\n      labels: { app: web }\n      command: [node, app.mjs]\n      ports: [8080]\n',
    );
    // A state directory another tool left open to everyone: up makes it owner-only.
    mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o755 });
    writeFileSync(join(stateDir, 'logs', 'istiod.log'), 'an earlier run\n', { mode: 0o644 });
    const up = await meshctl(['local', 'up', '-f', join(dir, 'mesh.yaml'), '--detach', '--xds-port', '0']);
    if (up.code !== 0) throw new Error(`local up failed:\n${up.output}`);
  }, 150_000);

  afterAll(async () => {
    const down = await meshctl(['local', 'down']);
    expect(down.code, down.output).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every file and directory under the state directory, with its permission bits. */
  function modes(root: string): Record<string, string> {
    const found: Record<string, string> = { '.': (statSync(root).mode & 0o777).toString(8) };
    for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' }))
      found[entry] = (statSync(join(root, entry)).mode & 0o777).toString(8);
    return found;
  }

  it('leaves every state file 0600 in 0700 directories: run state, logs, copied config, tokens, keys', () => {
    const found = modes(stateDir);
    for (const expected of [
      'local/run.json',
      'logs/supervisor.log',
      'logs/istiod.log',
      'logs/web-0.log',
      'logs/web-0.proxy.log',
      'config/mesh/secret.yaml',
      'local/web-0.token',
      'ca/root-key.pem',
    ])
      expect(Object.keys(found)).toContain(expected);
    const loose = Object.entries(found).filter(([path, mode]) => {
      const isDir = statSync(join(stateDir, path)).isDirectory();
      return mode !== (isDir ? '700' : '600');
    });
    expect(loose).toEqual([]);
  });
});
