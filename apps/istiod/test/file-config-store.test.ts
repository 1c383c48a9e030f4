import { mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildAuthorizationModel, effectivePeerAuthentication, type ConfigEvent } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { FileConfigStore, type FileConfigStoreOptions } from '../src/config/file-config-store.js';
import { tempDir } from './istiod-harness.js';

const VIRTUAL_SERVICE = (weights: [number, number]) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: ${weights[0]}
    - destination: {host: reviews, subset: v2}
      weight: ${weights[1]}
`;

const DESTINATION_RULE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: default
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
`;

const PEER_AUTHENTICATION = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FileConfigStore', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  async function start(
    files: Record<string, string>,
    logger = pino({ level: 'silent' }),
    options: FileConfigStoreOptions = { debounceMs: 20, pollMs: 200 },
  ) {
    const dir = tempDir('config-store-');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const store = new FileConfigStore(dir, logger, options);
    const events: ConfigEvent[] = [];
    store.subscribe((e) => events.push(e));
    await store.start();
    expect(events.every((e) => e.type === 'add')).toBe(true); // the initial load announces everything as added
    events.length = 0;
    cleanups.push(() => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { dir, store, events };
  }

  it('loads a tree of multi-document files, defaulting the namespace like kubectl', async () => {
    const { store } = await start({
      'reviews.yaml': `${VIRTUAL_SERVICE([90, 10])}---\n${DESTINATION_RULE}`,
      'mesh/peer.yml': PEER_AUTHENTICATION,
    });
    expect(store.status()).toEqual({ synced: true, invalid: [], stale: [] });
    expect(
      store
        .list()
        .map((c) => `${c.kind} ${c.namespace}/${c.name} ${c.source?.file}:${c.source?.line}`)
        .sort(),
    ).toEqual([
      'DestinationRule default/reviews reviews.yaml:14',
      'PeerAuthentication istio-system/default mesh/peer.yml:1',
      'VirtualService default/reviews reviews.yaml:1',
    ]);
  });

  it('turns file additions, changes and deletions into add/update/delete events', async () => {
    const { dir, store, events } = await start({
      'reviews.yaml': `${VIRTUAL_SERVICE([90, 10])}---\n${DESTINATION_RULE}`,
    });
    writeFileSync(join(dir, 'peer.yaml'), PEER_AUTHENTICATION);
    await until(() => events.length === 1, 'add');
    expect(events[0]).toMatchObject({ type: 'add', config: { kind: 'PeerAuthentication' } });

    writeFileSync(join(dir, 'reviews.yaml'), `${VIRTUAL_SERVICE([0, 100])}---\n${DESTINATION_RULE}`);
    await until(() => events.length === 2, 'update');
    expect(events[1]).toMatchObject({ type: 'update', config: { kind: 'VirtualService' } }); // the unchanged DestinationRule is quiet
    const vs = store.get('VirtualService', 'default', 'reviews')!.object as {
      spec: { http: { route: { weight: number }[] }[] };
    };
    expect(vs.spec.http[0]!.route.map((r) => r.weight)).toEqual([0, 100]);

    unlinkSync(join(dir, 'reviews.yaml'));
    await until(() => events.length === 4, 'deletes');
    expect(
      events
        .slice(2)
        .map((e) => `${e.type} ${e.config.kind}`)
        .sort(),
    ).toEqual(['delete DestinationRule', 'delete VirtualService']);
    expect(store.list().map((c) => c.kind)).toEqual(['PeerAuthentication']);
  });

  it('reports and skips invalid documents while the rest still load, and recovers when fixed', async () => {
    const { dir, store, events } = await start({
      'broken.yaml': `${VIRTUAL_SERVICE([0, 0])}---\n${PEER_AUTHENTICATION}`,
      'syntax.yaml': 'kind: [unclosed\n',
    });
    expect(store.list().map((c) => c.kind)).toEqual(['PeerAuthentication']);
    const invalid = store
      .status()
      .invalid.map((f) => `${f.code} ${f.kind} ${f.source?.file}:${f.source?.line} ${f.path}`);
    expect(invalid).toContain('WEIGHT_INVALID VirtualService broken.yaml:8 spec.http[0].route');
    expect(invalid.some((line) => line.startsWith('YAML_SYNTAX') && line.includes('syntax.yaml:2'))).toBe(
      true,
    );

    writeFileSync(join(dir, 'broken.yaml'), `${VIRTUAL_SERVICE([50, 50])}---\n${PEER_AUTHENTICATION}`);
    await until(
      () => events.some((e) => e.type === 'add' && e.config.kind === 'VirtualService'),
      'fixed VirtualService',
    );
    expect(store.status().invalid.map((f) => f.code)).toEqual(['YAML_SYNTAX']);
  });

  it('skips an EnvoyFilter whose patch value Envoy cannot read, naming the field inside patch.value', async () => {
    const filter = (name: string, statPrefix: string) => `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata:
  name: ${name}
spec:
  configPatches:
  - applyTo: NETWORK_FILTER
    patch:
      operation: INSERT_FIRST
      value:
        name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${statPrefix}
`;
    const { store } = await start({
      'filters.yaml': `${filter('bad', '[tcp]')}---\n${filter('good', 'tcp')}`,
    });
    expect(store.list().map((c) => c.name)).toEqual(['good']);
    expect(
      store
        .status()
        .invalid.map(
          (f) => `${f.kind} ${f.name} ${f.source?.file}:${f.source?.line} ${f.path}: ${f.message}`,
        ),
    ).toEqual([
      'EnvoyFilter bad filters.yaml:14 spec.configPatches[0].patch.value.typed_config.stat_prefix: ' +
        'Envoy filter: expected a string, got a list',
    ]);
  });

  it('keeps the first of two definitions of the same resource and reports the other, logging it once', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const { dir, store } = await start(
      { 'a.yaml': DESTINATION_RULE, 'b.yaml': DESTINATION_RULE.replace('v2', 'v3') },
      logger,
    );
    const duplicateLogs = () =>
      lines.map((l) => (JSON.parse(l) as { msg: string }).msg).filter((m) => m.startsWith('duplicate'));
    expect(duplicateLogs()).toEqual([
      'duplicate config ignored: Error [DUPLICATE_RESOURCE] (DestinationRule default/reviews b.yaml:1) also defined at a.yaml:1; this definition is ignored',
    ]);
    writeFileSync(join(dir, 'c.yaml'), PEER_AUTHENTICATION); // another change: the duplicate is not logged again
    await until(() => store.get('PeerAuthentication', 'istio-system', 'default') !== undefined, 'c.yaml');
    expect(duplicateLogs()).toHaveLength(1);
    expect(store.get('DestinationRule', 'default', 'reviews')?.source?.file).toBe('a.yaml');
    expect(store.status().invalid).toMatchObject([
      {
        code: 'DUPLICATE_RESOURCE',
        source: { file: 'b.yaml', line: 1 },
        message: 'also defined at a.yaml:1; this definition is ignored',
      },
    ]);
  });

  it('enforces a policy written without a namespace in default, as kubectl apply puts it', async () => {
    const { store } = await start({
      'policies.yaml': `${PEER_AUTHENTICATION.replace('  namespace: istio-system\n', '')}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all}
spec: {}
`,
    });
    const snapshot = new MeshSnapshot(store.list());
    const workload = { namespace: 'default', labels: { app: 'reviews' } };
    expect(effectivePeerAuthentication(snapshot.peerAuthentications, workload).mode).toBe('STRICT');
    expect(
      buildAuthorizationModel(snapshot.authorizationPolicies, workload).policies.ALLOW.map((p) => p.name),
    ).toEqual(['deny-all']);
  });

  it('refuses a file above the size limit unread, naming the limit', async () => {
    const { store } = await start({ 'huge.yaml': '#'.repeat(10 * 1024 * 1024 + 1) });
    expect(store.status().invalid).toMatchObject([
      {
        code: 'SIZE_LIMIT',
        source: { file: 'huge.yaml', line: 1 },
        message: expect.stringContaining('above the limit of 10 MiB'),
      },
    ]);
  });

  it('logs a bounded number of lines for a file of garbage, and nothing again when it is rewritten unchanged', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const garbage = Array.from({ length: 5000 }, (_, i) => `a: b: c${i}\n---\n`).join('');
    const { dir, store } = await start({ 'garbage.yaml': garbage }, logger);
    expect(store.status().invalid).toHaveLength(101);
    expect(store.status().invalid.at(-1)?.message).toBe(
      '... and 4900 more findings in this file, not listed',
    );
    expect(lines).toHaveLength(101);

    writeFileSync(join(dir, 'garbage.yaml'), `${garbage}# touched\n`);
    await new Promise((r) => setTimeout(r, 500));
    expect(lines).toHaveLength(101);
  });

  it('sees every replacement of a file by rename, and files in a directory made later, without the poll', async () => {
    // The poll never runs within the test: only the watch can report the changes. Node's recursive
    // fs.watch on Linux reported the first replacement only (the applied set of `meshctl local apply`
    // then reached the proxies at the next 5 s poll).
    const { dir, store } = await start({ 'applied.yaml': VIRTUAL_SERVICE([90, 10]) }, undefined, {
      debounceMs: 20,
      pollMs: 3_600_000,
    });
    const weights = () =>
      (
        store.get('VirtualService', 'default', 'reviews')?.object as {
          spec: { http: { route: { weight: number }[] }[] };
        }
      ).spec.http[0]!.route.map((r) => r.weight);
    for (const next of [
      [0, 100],
      [100, 0],
      [50, 50],
    ] as [number, number][]) {
      writeFileSync(join(dir, '.applied.yaml.tmp'), VIRTUAL_SERVICE(next));
      renameSync(join(dir, '.applied.yaml.tmp'), join(dir, 'applied.yaml'));
      await until(() => weights().join() === next.join(), `weights ${next.join('/')}`);
    }

    mkdirSync(join(dir, 'later'));
    writeFileSync(join(dir, 'later', 'peer.yaml'), PEER_AUTHENTICATION);
    await until(
      () => store.get('PeerAuthentication', 'istio-system', 'default') !== undefined,
      'new directory',
    );
    writeFileSync(join(dir, 'later', '.peer.yaml.tmp'), DESTINATION_RULE);
    renameSync(join(dir, 'later', '.peer.yaml.tmp'), join(dir, 'later', 'peer.yaml'));
    await until(() => store.get('DestinationRule', 'default', 'reviews') !== undefined, 'replaced in it');
  });
});
