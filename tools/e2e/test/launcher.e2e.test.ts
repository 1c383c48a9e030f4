import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  istiodRootCert,
  LaunchError,
  secureXdsAddress,
  startIstiod,
  startSidecar,
  writeJoinTokenFile,
  type IstiodProcess,
  type LaunchedIstiodPorts,
  type MeshProgram,
  type SidecarOptions,
} from '@mesh/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The readiness contract with the real programs: istiod and mesh-proxy report why they cannot start
 * as soon as they know, the launcher passes that reason on, and nothing of them keeps running. The
 * readiness timeouts are a minute: these tests finish only because the programs say why at once.
 */

const dirs: string[] = [];
const occupied: Server[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const server of occupied) server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A port held by another listener on `host`, so the program under test cannot bind it. */
async function occupiedPort(host: string, port = 0): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  occupied.push(server);
  return (server.address() as { port: number }).port;
}

async function failure(program: MeshProgram<'istiod' | 'mesh-proxy'>): Promise<LaunchError> {
  const error = await program.ready.then(
    () => new Error('it started'),
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(LaunchError);
  // Exited, and reaped: its pid is gone.
  expect(program.running).toBe(false);
  expect(() => process.kill(program.pid as number, 0)).toThrow(/ESRCH/);
  return error as LaunchError;
}

describe('istiod', () => {
  it.each(['secureXdsPort', 'monitoringPort'] as const)(
    'with its %s in use: reports the listen error, exits 2, leaves nothing running',
    async (flag) => {
      const port = await occupiedPort('127.0.0.1');
      const istiod = startIstiod(
        { configDir: tempDir('launcher-config-'), stateDir: tempDir('launcher-state-'), [flag]: port },
        { logs: { memory: true }, readyTimeoutMs: 60_000 },
      );
      const error = await failure(istiod);
      expect(error.code).toBe('LAUNCH_FAILED');
      expect(error.reason).toBe(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
      expect(await istiod.exited).toEqual({ code: 2, signal: null });
    },
  );

  it('with a bad flag: reports its usage line as the reason', async () => {
    const istiod = startIstiod(
      { configDir: '/nonexistent/config', stateDir: tempDir('launcher-state-') },
      { logs: { memory: true }, readyTimeoutMs: 60_000 },
    );
    const error = await failure(istiod);
    expect(error.code).toBe('LAUNCH_EXITED');
    expect(error.reason).toMatch(
      /^exited with code 2: istiod: --config-dir: cannot read directory \/nonexistent\/config: ENOENT/,
    );
  });
});

describe('mesh-proxy', () => {
  const stateDir = tempDir('launcher-mesh-');
  let istiod: IstiodProcess;
  let ports: LaunchedIstiodPorts;
  let sidecar: (
    name: string,
    address: string,
    overrides?: Partial<SidecarOptions>,
  ) => Promise<SidecarOptions>;

  beforeAll(async () => {
    istiod = startIstiod(
      { configDir: tempDir('launcher-config-'), stateDir, pushDebounceMs: 10 },
      { logs: { memory: true } },
    );
    ports = await istiod.ready;
    sidecar = async (name, address, overrides = {}) => ({
      podName: name,
      namespace: 'default',
      serviceAccount: name,
      instanceIp: address,
      labels: { app: name },
      istiodAddress: secureXdsAddress('127.0.0.1', ports),
      caRootCert: istiodRootCert({ stateDir }),
      tokenFile: await writeJoinTokenFile(
        stateDir,
        { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: name },
        join(stateDir, `${name}.token`),
        3600,
      ),
      capture: { mode: 'explicit' },
      ...overrides,
    });
  });
  afterAll(async () => {
    await istiod?.stop();
  });

  it('reports ready with its ports once it is ready as /healthz/ready says', async () => {
    const proxy = startSidecar(await sidecar('ready-1', '127.0.43.1'), {
      logs: { memory: true },
      readyTimeoutMs: 60_000,
    });
    try {
      const ready = await proxy.ready;
      // Explicit-mode sidecars share 127.0.0.1: each admin port is a free one, reported as bound.
      expect(ready.adminPort).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${ready.adminPort}/ready`)).status).toBe(200);
      expect(ready).toEqual({
        adminPort: ready.adminPort,
        outboundPort: 15001,
        inboundPort: 15006,
        statusPort: 15021,
        statsPort: 15090,
      });
      expect((await fetch('http://127.0.43.1:15021/healthz/ready')).status).toBe(200);
    } finally {
      await proxy.stop();
    }
  });

  it('with its admin port in use: reports the listen error, leaves nothing running', async () => {
    const adminPort = await occupiedPort('127.0.0.1');
    const proxy = startSidecar(await sidecar('busy-1', '127.0.43.2', { adminPort }), {
      logs: { memory: true },
      readyTimeoutMs: 60_000,
    });
    const error = await failure(proxy);
    expect(error.code).toBe('LAUNCH_FAILED');
    expect(error.reason).toBe(`listen EADDRINUSE: address already in use 127.0.0.1:${adminPort}`);
  });

  it("without istiod's root certificate: reports that at once", async () => {
    const missing = join(stateDir, 'no-such-root.pem');
    const proxy = startSidecar(await sidecar('rootless-1', '127.0.43.3', { caRootCert: missing }), {
      logs: { memory: true },
      readyTimeoutMs: 60_000,
    });
    const error = await failure(proxy);
    expect(error.code).toBe('LAUNCH_FAILED');
    expect(error.reason).toBe(
      `cannot read istiod's root certificate ${missing} (--ca-root-cert, CA_ROOT_CA): ENOENT`,
    );
  });
});
