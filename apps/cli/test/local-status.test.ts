import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ConfigTree,
  LAST_GOOD_FILE,
  parseConfigFile,
  serializeLastGood,
  type StoredConfig,
} from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { sidecarConfig, simulate } from '@mesh/xds';
import { afterAll, describe, expect, it } from 'vitest';

import { localStatus, renderStatusTable } from '../src/local/local-status.js';
import type { InstanceState, RunState } from '../src/local/run-state.js';

/**
 * `meshctl local status` reports the mTLS mode the sidecar's inbound chains enforce on each port:
 * checked against the chains istiod generates for the same config (what a plaintext and an mTLS
 * caller get, by the simulation), port-level PeerAuthentication and last good versions included.
 */

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080}
  - {name: http-admin, port: 9090}
`;

const portLevel = (mode: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  mtls: {mode: ${mode}}
  portLevelMtls:
    9090: {mode: PERMISSIVE}
`;

const REVIEWS: InstanceState = {
  instance: 'reviews-0',
  workload: 'reviews',
  namespace: 'default',
  serviceAccount: 'reviews',
  identity: 'spiffe://cluster.local/ns/default/sa/reviews',
  labels: { app: 'reviews' },
  // Nothing listens here: readiness and xDS probes fail fast, the mTLS column does not depend on them.
  address: '127.0.99.2',
  // 7070 is in no Service: its traffic takes the passthrough chains.
  ports: [9080, 9090, 7070],
  appPorts: {},
  sidecar: true,
  env: {},
  logs: { app: '' },
};

const root = mkdtempSync(join(tmpdir(), 'meshctl-status-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let meshes = 0;
/** A state directory with a running mesh's run state and config directory; istiod does not answer. */
function mesh(files: Record<string, string>): { stateDir: string; state: RunState } {
  const stateDir = join(root, `mesh-${++meshes}`);
  const configDir = join(stateDir, 'config');
  mkdirSync(configDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(configDir, name), text);
  const istiod = { xdsPort: 1, secureXdsPort: 1, monitoringPort: 1, log: '' };
  const state: RunState = {
    ...{ mesh: 'status', meshFile: '', mode: 'explicit', supervisorPid: process.pid },
    ...{ startedAt: '', ready: true, configDir, istiod, instances: [REVIEWS] },
  };
  return { stateDir, state };
}

let version = 0;
/** What istiod's file store puts in force from these files (the loader it shares with meshctl). */
function istiodConfig(files: Record<string, string>): StoredConfig[] {
  return Object.entries(files).flatMap(([file, text]) => [
    ...parseConfigFile(text, file, () => String(++version)).configs.values(),
  ]);
}

/**
 * The mode the generated inbound chains enforce on a port, told by the calls they accept: a plaintext
 * caller is refused under STRICT, an mTLS caller is terminated under STRICT and PERMISSIVE.
 */
function generatedMode(configs: StoredConfig[], port: number): string {
  const proxy = {
    id: 'sidecar~127.0.99.2~reviews-0.default~default.svc.cluster.local',
    namespace: 'default',
    labels: REVIEWS.labels,
    ipAddresses: [REVIEWS.address],
    serviceAccount: 'reviews',
  };
  const config = sidecarConfig(new MeshSnapshot(configs), proxy);
  const plaintext = simulate(config, { direction: 'inbound', port, tls: false, protocol: 'http' });
  const mtls = simulate(config, {
    direction: 'inbound',
    port,
    tls: true,
    alpn: ['istio-http/1.1'],
    protocol: 'http',
    sourcePrincipal: 'cluster.local/ns/default/sa/productpage',
  });
  if (plaintext.filterChain === undefined) return mtls.tls ? 'STRICT' : 'refuses mTLS and plaintext';
  return mtls.tls ? 'PERMISSIVE' : 'DISABLE';
}

const perPort = (configs: StoredConfig[]) =>
  REVIEWS.ports.map((port) => `${port}:${generatedMode(configs, port)}`).join(' ');

describe('meshctl local status: the MTLS column', () => {
  it('shows a port-level PeerAuthentication port by port, as the inbound chains enforce it', async () => {
    const files = { 'services.yaml': SERVICE, 'mtls.yaml': portLevel('STRICT') };
    const { stateDir, state } = mesh(files);
    const status = await localStatus(state, stateDir);
    expect(perPort(istiodConfig(files))).toBe('9080:STRICT 9090:PERMISSIVE 7070:STRICT');
    expect(status.workloads[0]?.mtls).toBe('9080:STRICT 9090:PERMISSIVE 7070:STRICT');
    expect(renderStatusTable(status).split('\n')[1]).toMatch(/ 9080:STRICT 9090:PERMISSIVE 7070:STRICT +-$/);
  });

  it('shows one mode when every port has it', async () => {
    const files = { 'services.yaml': SERVICE, 'mtls.yaml': portLevel('PERMISSIVE') };
    const { stateDir, state } = mesh(files);
    expect(perPort(istiodConfig(files))).toBe('9080:PERMISSIVE 9090:PERMISSIVE 7070:PERMISSIVE');
    expect((await localStatus(state, stateDir)).workloads[0]?.mtls).toBe('PERMISSIVE');
  });

  it('counts a policy written without a namespace in default, as istiod does', async () => {
    const files = {
      'services.yaml': SERVICE,
      'mtls.yaml':
        'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default}\nspec: {mtls: {mode: STRICT}}\n',
    };
    const { stateDir, state } = mesh(files);
    expect(perPort(istiodConfig(files))).toBe('9080:STRICT 9090:STRICT 7070:STRICT');
    expect((await localStatus(state, stateDir)).workloads[0]?.mtls).toBe('STRICT');
  });

  it('counts the last good version istiod keeps of a policy whose file is now invalid', async () => {
    const good = { 'services.yaml': SERVICE, 'mtls.yaml': portLevel('STRICT') };
    const { stateDir, state } = mesh({ ...good, 'mtls.yaml': portLevel('STRICTT') });
    // istiod's copy of what it enforced before the file broke (written by its file store).
    const tree = new ConfigTree(() => String(++version));
    for (const [file, text] of Object.entries(good))
      tree.read(parseConfigFile(text, file, () => String(++version)));
    mkdirSync(join(stateDir, LAST_GOOD_FILE, '..'), { recursive: true });
    writeFileSync(join(stateDir, LAST_GOOD_FILE), serializeLastGood(tree.inForceByFile()));

    expect((await localStatus(state, stateDir)).workloads[0]?.mtls).toBe(perPort(istiodConfig(good)));
  });
});
