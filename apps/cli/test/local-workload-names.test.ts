import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { InstanceState, RunState } from '../src/local/run-state.js';

/**
 * `meshctl local exec` and `local logs` take a workload or an instance name; a name that is neither
 * gets the names that are. Against the state a running mesh leaves (run.json, its supervisor alive:
 * this test process stands in for it).
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'meshctl-workload-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function instance(workload: string, replica: number, address: string): InstanceState {
  const log = join(dir, `${workload}-${replica}.log`);
  writeFileSync(log, `log of ${workload}-${replica}\n`);
  return {
    instance: `${workload}-${replica}`,
    workload,
    namespace: 'default',
    serviceAccount: workload,
    identity: `spiffe://cluster.local/ns/default/sa/${workload}`,
    labels: { app: workload },
    address,
    ports: [9080],
    appPorts: {},
    sidecar: true,
    env: { WORKLOAD_ADDRESS: address },
    logs: { app: log },
  };
}

const stateDir = join(dir, 'state');
mkdirSync(join(stateDir, 'local'), { recursive: true });
const STATE: RunState = {
  mesh: 'demo',
  meshFile: join(dir, 'mesh.yaml'),
  mode: 'explicit',
  supervisorPid: process.pid,
  startedAt: new Date().toISOString(),
  ready: true,
  configDir: join(dir, 'config'),
  istiod: { xdsPort: 15010, secureXdsPort: 15012, monitoringPort: 15014, log: join(dir, 'istiod.log') },
  instances: [
    instance('productpage', 0, '127.0.10.1'),
    instance('reviews-v1', 0, '127.0.10.2'),
    instance('reviews-v1', 1, '127.0.10.3'),
  ],
};
writeFileSync(join(stateDir, 'local', 'run.json'), JSON.stringify(STATE), { mode: 0o600 });

function meshctl(...args: string[]) {
  const result = spawnSync(process.execPath, [MESHCTL, ...args], { encoding: 'utf8', timeout: 60_000 });
  // oclif wraps an error at the terminal's width, continuing with " ›   ": one line again.
  return { ...result, stderr: result.stderr.replace(/\s*\n ›\s+/g, ' ') };
}

const UNKNOWN =
  'no workload or instance "reviws-v1" in mesh demo; workloads: productpage, reviews-v1; ' +
  'instances: productpage-0, reviews-v1-0, reviews-v1-1';

describe('an unknown workload name', () => {
  it('local exec lists the workloads and instances there are', () => {
    const result = meshctl('local', 'exec', 'reviws-v1', '--state-dir', stateDir, '--', 'true');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(UNKNOWN);
  });

  it('local logs lists them too', () => {
    const result = meshctl('local', 'logs', 'reviws-v1', '--state-dir', stateDir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(UNKNOWN);
  });
});

describe('a known name', () => {
  it("local exec runs with a workload's (first) or an instance's environment", () => {
    const echo = ['--', 'sh', '-c', 'echo $WORKLOAD_ADDRESS'];
    expect(meshctl('local', 'exec', 'reviews-v1', '--state-dir', stateDir, ...echo).stdout).toBe(
      '127.0.10.2\n',
    );
    expect(meshctl('local', 'exec', 'reviews-v1-1', '--state-dir', stateDir, ...echo).stdout).toBe(
      '127.0.10.3\n',
    );
  });

  it("local logs prints every instance's log of a workload", () => {
    const result = meshctl('local', 'logs', 'reviews-v1', '--state-dir', stateDir);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('log of reviews-v1-0\n');
    expect(result.stdout).toContain('log of reviews-v1-1\n');
  });
});
