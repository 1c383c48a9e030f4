import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { writeRunState, type InstanceState } from '../src/local/run-state.js';

/**
 * `meshctl analyze --local-state DIR` (the built CLI): the config directory of the local mesh running
 * on DIR, with its workload instances as Pods — so a DestinationRule subset that selects none of the
 * running workloads is reported (IST0173), one that does is not, and files given beside are analyzed
 * with them. The run state is this test's (its supervisor pid is the test process, alive).
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'meshctl-analyze-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports: [{ name: http, port: 8080 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: default }
spec:
  host: backend
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;

const instance = (name: string, labels: Record<string, string>, sidecar: boolean): InstanceState => ({
  instance: `${name}-0`,
  workload: name,
  namespace: 'default',
  serviceAccount: name,
  identity: `spiffe://cluster.local/ns/default/sa/${name}`,
  labels,
  address: '127.0.0.1',
  ports: [8080],
  appPorts: {},
  sidecar,
  env: {},
  logs: { app: '' },
});

function startedMesh(): string {
  const stateDir = join(dir, 'state');
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'backend.yaml'), CONFIG);
  writeRunState(stateDir, {
    mesh: 'analyze',
    meshFile: join(dir, 'mesh.yaml'),
    mode: 'explicit',
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    ready: true,
    configDir,
    istiod: { xdsPort: 1, secureXdsPort: 2, monitoringPort: 3, log: '' },
    instances: [
      instance('backend', { app: 'backend', version: 'v1' }, true),
      instance('client', { app: 'client' }, false),
    ],
  });
  return stateDir;
}

function analyze(args: string[]) {
  const run = spawnSync(process.execPath, [MESHCTL, 'analyze', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('meshctl analyze --local-state', () => {
  it('sees the running workloads: the subset no instance is in is reported, the other is not', () => {
    const run = analyze(['--local-state', startedMesh()]);
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Error \[IST0173\] \(DestinationRule default\/backend .*backend\.yaml:\d+\) The Subset v2 defined in the DestinationRule does not select any pods/,
      ),
    ]);
    expect(run.status).toBe(79);
  });

  it('analyzes files given beside the local config with it', () => {
    const extra = join(dir, 'vs.yaml');
    writeFileSync(
      extra,
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: backend-v3, namespace: default }
spec:
  hosts: [backend]
  http: [{ route: [{ destination: { host: backend, subset: v3 } }] }]
`,
    );
    const run = analyze(['--local-state', startedMesh(), extra]);
    expect(run.stdout).toContain('Error [IST0101] (VirtualService default/backend-v3');
    expect(run.status).toBe(79);
  });

  it('exits 1 naming the directory when no local mesh runs there', () => {
    const run = analyze(['--local-state', join(dir, 'nothing')]);
    expect(run.status).toBe(1);
    // oclif wraps the message: compare it with the wrapping removed.
    expect(run.stderr.replace(/\s*›\s*/g, ' ')).toContain(
      `no local mesh is running on ${join(dir, 'nothing')}`,
    );
  });
});
