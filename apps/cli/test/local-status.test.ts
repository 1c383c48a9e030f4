import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigTree, parseConfigFile, type StoredConfig } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { sidecarConfig, simulate } from '@mesh/xds';
import { afterAll, describe, expect, it } from 'vitest';

import { localStatus, renderStatusTable } from '../src/local/local-status.js';
import type { InstanceState, RunState } from '../src/local/run-state.js';
import { enforcedMtls, inboundChains } from '../src/local/sidecar-mtls.js';

/**
 * `meshctl local status` reports the mTLS mode the sidecar's inbound chains enforce on each port, read
 * from the listeners the sidecar holds (its admin `/config_dump`): checked against what a plaintext and
 * an mTLS caller get from the chains istiod generates for the same config (the simulation),
 * port-level PeerAuthentication included. Reading them costs no Istio schemas nor Envoy protos.
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
  // Nothing listens here: the probes fail fast.
  address: '127.0.99.2',
  // 7070 is in no Service: its traffic takes the passthrough chains.
  ports: [9080, 9090, 7070],
  appPorts: {},
  sidecar: true,
  // Nothing listens on port 1 either (a sidecar of another mesh may hold 15000).
  adminPort: 1,
  env: {},
  logs: { app: '' },
};

const root = mkdtempSync(join(tmpdir(), 'meshctl-status-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A state directory with a running mesh's run state (this process as its supervisor); nothing answers. */
function mesh(): { stateDir: string; state: RunState } {
  const stateDir = mkdtempSync(join(root, 'mesh-'));
  const configDir = join(stateDir, 'config');
  mkdirSync(configDir, { recursive: true });
  const istiod = { xdsPort: 1, secureXdsPort: 1, monitoringPort: 1, log: '' };
  const state: RunState = {
    ...{ mesh: 'status', meshFile: '', mode: 'explicit', supervisorPid: process.pid },
    ...{ startedAt: '', ready: true, configDir, istiod, instances: [REVIEWS] },
  };
  mkdirSync(join(stateDir, 'local'), { recursive: true });
  writeFileSync(join(stateDir, 'local', 'run.json'), JSON.stringify(state));
  return { stateDir, state };
}

const PROXY = {
  id: 'sidecar~127.0.99.2~reviews-0.default~default.svc.cluster.local',
  namespace: 'default',
  labels: REVIEWS.labels,
  ipAddresses: [REVIEWS.address],
  serviceAccount: 'reviews',
};

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
  const config = sidecarConfig(new MeshSnapshot(configs), PROXY);
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

/** What the sidecar's `/config_dump` holds of its listeners when istiod serves it this config. */
function configDump(configs: StoredConfig[]): unknown {
  const { listeners } = sidecarConfig(new MeshSnapshot(configs), PROXY);
  return {
    configs: [
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        dynamic_listeners: listeners.map((listener) => ({ name: listener.name, active_state: { listener } })),
      },
    ],
  };
}

/** The MTLS column for the files' config, on the given ports. */
function shown(files: Record<string, string>, ports = REVIEWS.ports): string {
  const chains = inboundChains(configDump(istiodConfig(files)));
  if (!chains) throw new Error('no virtualInbound listener in the dump');
  return enforcedMtls(chains, ports);
}

const workloadWide = (mode: string) =>
  `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default}\nspec: {mtls: {mode: ${mode}}}\n`;

describe('meshctl local status: the MTLS column', () => {
  it('shows a port-level PeerAuthentication port by port, as the inbound chains enforce it', () => {
    const files = { 'services.yaml': SERVICE, 'mtls.yaml': portLevel('STRICT') };
    expect(perPort(istiodConfig(files))).toBe('9080:STRICT 9090:PERMISSIVE 7070:STRICT');
    expect(shown(files)).toBe('9080:STRICT 9090:PERMISSIVE 7070:STRICT');
  });

  it('shows one mode when every port has it', () => {
    const files = { 'services.yaml': SERVICE, 'mtls.yaml': portLevel('PERMISSIVE') };
    expect(perPort(istiodConfig(files))).toBe('9080:PERMISSIVE 9090:PERMISSIVE 7070:PERMISSIVE');
    expect(shown(files)).toBe('PERMISSIVE');
  });

  it('tells STRICT, PERMISSIVE and DISABLE apart, on served ports, passthrough ports and without ports', () => {
    for (const mode of ['STRICT', 'PERMISSIVE', 'DISABLE']) {
      const files = { 'services.yaml': SERVICE, 'mtls.yaml': workloadWide(mode) };
      expect(perPort(istiodConfig(files))).toBe(`9080:${mode} 9090:${mode} 7070:${mode}`);
      expect(shown(files)).toBe(mode);
      expect(shown(files, [])).toBe(mode);
    }
  });

  it('shows - for a sidecar that does not answer', async () => {
    const status = await localStatus(mesh().state);
    expect(status.workloads[0]).toMatchObject({ proxy: 'not ready', mtls: '-' });
    expect(renderStatusTable(status).split('\n')[1]).toMatch(/ not ready +0 +- +- +-$/);
  });
});

const destinationRule = (name: string, subset: string) =>
  `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ${name}, namespace: default}\n` +
  `spec: {host: ${name}, subsets: [{name: ${subset}, labels: {version: ${subset}}}]}\n`;

/**
 * istiod's `/debug/configz` for a config directory as `local up` and `local apply` lay it out: what
 * istiod's file store (the shared ConfigTree) puts in force, with sources, and what it reports.
 */
function configzOf(files: Record<string, string>): unknown {
  const tree = new ConfigTree(() => String(++version));
  for (const [file, text] of Object.entries(files))
    tree.read(parseConfigFile(text, file, () => String(++version)));
  return {
    synced: true,
    resources: [...tree.merge().configs.values()].map(({ kind, namespace, name, source }) => ({
      ...{ kind, namespace, name, source },
    })),
    invalid: tree.problems().invalid,
    lastGoodKept: [],
  };
}

describe('meshctl local status: config istiod reports', () => {
  it('shows what local apply overrides as an override, and a real duplicate as invalid config', async () => {
    const configz = configzOf({
      // `local apply` over the mesh file's DestinationRule web: intended.
      'applied.yaml': destinationRule('web', 'v2'),
      'mesh/rules.yaml': destinationRule('web', 'v1'),
      // The mesh file's own two definitions of api: a mistake.
      'mesh/api-a.yaml': destinationRule('api', 'v1'),
      'mesh/api-b.yaml': destinationRule('api', 'v2'),
    });
    const istiod = createServer((_request, res) => res.end(JSON.stringify(configz)));
    await new Promise<void>((resolve) => istiod.listen(0, '127.0.0.1', resolve));
    try {
      const { state } = mesh();
      state.istiod.monitoringPort = (istiod.address() as AddressInfo).port;
      const status = await localStatus(state);
      expect(status.config?.overrides).toEqual([
        {
          ...{ kind: 'DestinationRule', namespace: 'default', name: 'web' },
          ...{ overridden: { file: 'mesh/rules.yaml', line: 1 }, applied: { file: 'applied.yaml', line: 1 } },
        },
      ]);
      expect(status.config?.invalid).toMatchObject([
        { code: 'DUPLICATE_RESOURCE', name: 'api', source: { file: 'mesh/api-b.yaml' } },
      ]);
      const table = renderStatusTable(status).split('\n');
      const invalidAt = table.findIndex((line) => line.startsWith('INVALID CONFIG'));
      expect(table.slice(invalidAt)).toEqual([
        'INVALID CONFIG (1 finding(s); fix the files, istiod applies them when valid)',
        '  Error [DUPLICATE_RESOURCE] (DestinationRule default/api mesh/api-b.yaml:1) also defined at mesh/api-a.yaml:1; this definition is ignored',
      ]);
      expect(table).toContain(
        '  DestinationRule default/web (mesh/rules.yaml:1) overridden by applied.yaml:1',
      );
      expect(table.findIndex((line) => line.startsWith('OVERRIDDEN BY "local apply" (1;'))).toBeLessThan(
        invalidAt,
      );
    } finally {
      istiod.close();
    }
  });
});

describe('meshctl local status: asking', () => {
  it('asks istiod while it asks the sidecars, not after them', async () => {
    const dump = JSON.stringify(configDump(istiodConfig({ 'services.yaml': SERVICE })));
    // The sidecar answers its /config_dump only once istiod was asked: asked one after the other,
    // the dump would be waited for until the probe gave up, and the MTLS column would say -.
    let istiodAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => (istiodAsked = resolve));
    const istiod = createServer((_request, res) => {
      istiodAsked();
      res.end(JSON.stringify({ resources: [], invalid: [], lastGoodKept: [] }));
    });
    const admin = createServer((request, res) => {
      if (request.url !== '/config_dump') return void res.writeHead(404).end();
      void asked.then(() => res.end(dump));
    });
    for (const server of [istiod, admin])
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { state } = mesh();
      state.istiod.monitoringPort = (istiod.address() as AddressInfo).port;
      state.instances = [{ ...REVIEWS, adminPort: (admin.address() as AddressInfo).port }];
      const status = await localStatus(state);
      expect(status.workloads[0]?.mtls).toBe('PERMISSIVE');
      expect(status.config).toEqual({ invalid: [], lastGoodKept: [], overrides: [] });
    } finally {
      istiod.close();
      admin.close();
    }
  });
});

describe('meshctl local status: start-up', () => {
  it("loads neither the Istio schemas, the Envoy protos, oclif's index nor undici (the built CLI, with a mesh running)", () => {
    const hook = `import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on('exit', () => {
  process.stderr.write('LOADED ' + JSON.stringify(loaded) + '\\n');
  process.stderr.write('BUILTIN ' + JSON.stringify(process.moduleLoadList) + '\\n');
});`;
    const result = spawnSync(
      process.execPath,
      [
        ...['--import', `data:text/javascript,${encodeURIComponent(hook)}`],
        ...[join(import.meta.dirname, '..', 'bin', 'run.js'), 'local', 'status', '-o', 'json'],
        ...['--state-dir', mesh().stateDir],
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status, result.stderr).toBe(1); // its sidecar is not ready
    expect(JSON.parse(result.stdout)).toMatchObject({ workloads: [{ instance: 'reviews-0', mtls: '-' }] });
    const loaded = JSON.parse(/^LOADED (.*)$/m.exec(result.stderr)?.[1] ?? '[]') as string[];
    expect(loaded.length).toBeGreaterThan(10);
    // @mesh/policy's index and its schemas, @mesh/xds with the Envoy protos and gRPC, @mesh/registry.
    const heavy = [
      ...['/libs/policy/dist/index.js', '/libs/policy/dist/api/', '/typebox/'],
      ...['/libs/xds/', '/protobufjs/', '/@grpc/', '/libs/registry/'],
    ];
    expect(loaded.filter((url) => heavy.some((part) => url.includes(part)))).toEqual([]);
    // Nor oclif's index (all of oclif, and semver), nor undici (node:http imported as an ES module).
    expect(loaded.filter((url) => /@oclif\/core\/lib\/index\.js|\/semver\//.test(url))).toEqual([]);
    const builtin = JSON.parse(/^BUILTIN (.*)$/m.exec(result.stderr)?.[1] ?? '[]') as string[];
    expect(builtin.length).toBeGreaterThan(10);
    expect(builtin.filter((name) => name.includes('undici'))).toEqual([]);
  });
});
