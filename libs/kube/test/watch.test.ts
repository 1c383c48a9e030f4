import {
  CoreV1Api,
  makeInformer,
  Watch,
  type KubeConfig,
  type V1ConfigMap,
  type V1ConfigMapList,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type RecordedRequest, type TestApiServer } from '../src/test-server/index.js';
import { eventually, uniqueName } from './helpers.js';

/**
 * Watches and informers: what `@kubernetes/client-node`'s `ListWatch` relies on — events in order,
 * resumption from a resourceVersion, 410 Expired making it relist, bookmarks, server-side ends of a
 * stream, and the server going away and coming back on the same port.
 */
let server: TestApiServer;
let config: KubeConfig;
let core: CoreV1Api;
const requests: RecordedRequest[] = [];

beforeAll(async () => {
  server = await startTestApiServer({
    bookmarkIntervalMs: 50,
    onRequest: (request) => requests.push(request),
  });
  config = server.kubeConfig();
  core = config.makeApiClient(CoreV1Api);
});

afterAll(() => server.close());

async function namespace(): Promise<string> {
  const name = uniqueName('watch');
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

interface SeenEvent {
  type: string;
  name: string | undefined;
  resourceVersion: string | undefined;
  object: Record<string, unknown>;
}

/** A raw watch collecting events; `ended` resolves with the done() error (or null). */
async function watchConfigMaps(ns: string, query: Record<string, string | number | boolean | undefined>) {
  const events: SeenEvent[] = [];
  let resolveEnded!: (error: unknown) => void;
  const ended = new Promise<unknown>((resolve) => (resolveEnded = resolve));
  const controller = await new Watch(config).watch(
    `/api/v1/namespaces/${ns}/configmaps`,
    query,
    (type, object: { metadata?: { name?: string; resourceVersion?: string } }) =>
      events.push({
        type,
        name: object.metadata?.name,
        resourceVersion: object.metadata?.resourceVersion,
        object,
      }),
    (error) => resolveEnded(error),
  );
  return { events, ended, stop: () => controller.abort() };
}

function informerFor(ns: string) {
  return makeInformer<V1ConfigMap>(
    config,
    `/api/v1/namespaces/${ns}/configmaps`,
    () => core.listNamespacedConfigMap({ namespace: ns }) as Promise<V1ConfigMapList>,
  );
}

describe('informers', () => {
  it('deliver add, update and delete for a namespace', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'existing' } } });
    const informer = informerFor(ns);
    const seen: string[] = [];
    informer.on('add', (cm) => seen.push(`add ${cm.metadata?.name}`));
    informer.on('update', (cm) => seen.push(`update ${cm.metadata?.name} ${JSON.stringify(cm.data)}`));
    informer.on('delete', (cm) => seen.push(`delete ${cm.metadata?.name}`));
    await informer.start();
    try {
      await eventually(() => expect(seen).toEqual(['add existing']));
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'fresh' }, data: { v: '1' } },
      });
      await core.patchNamespacedConfigMap({
        name: 'fresh',
        namespace: ns,
        body: [{ op: 'replace', path: '/data/v', value: '2' }],
      });
      await core.deleteNamespacedConfigMap({ name: 'fresh', namespace: ns });
      await eventually(() =>
        expect(seen).toEqual(['add existing', 'add fresh', 'update fresh {"v":"2"}', 'delete fresh']),
      );
      expect(informer.list().map((cm) => cm.metadata?.name)).toEqual(['existing']);
    } finally {
      await informer.stop();
    }
  });

  it('relist after a 410 Expired once history has been compacted past them', async () => {
    const ns = await namespace();
    const informer = informerFor(ns);
    let connects = 0;
    informer.on('connect', () => connects++);
    const names = () => informer.list().map((cm) => cm.metadata?.name);
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' } } });
      await eventually(() => expect(names()).toEqual(['before']));
      const lists = () =>
        requests.filter((r) => r.verb === 'list' && r.path === `/api/v1/namespaces/${ns}/configmaps`).length;
      expect(lists()).toBe(1);
      server.compact();
      server.closeWatches();
      await eventually(() => expect(lists()).toBe(2));
      expect(connects).toBeGreaterThanOrEqual(2);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
      await eventually(() => expect(names().sort()).toEqual(['after', 'before']));
    } finally {
      await informer.stop();
    }
  });

  it('resume without relisting after the server stops and starts again on the same port', async () => {
    const ns = await namespace();
    const informer = informerFor(ns);
    const port = server.port;
    let errors = 0;
    informer.on('error', () => {
      errors++;
      setTimeout(() => void informer.start(), 50);
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'one' } } });
      await eventually(() => expect(informer.list()).toHaveLength(1));
      await server.stop();
      await eventually(() => expect(errors).toBeGreaterThanOrEqual(2));
      await server.start();
      expect(server.port).toBe(port);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'two' } } });
      await eventually(() =>
        expect(
          informer
            .list()
            .map((cm) => cm.metadata?.name)
            .sort(),
        ).toEqual(['one', 'two']),
      );
      const lists = requests.filter(
        (r) => r.verb === 'list' && r.path === `/api/v1/namespaces/${ns}/configmaps`,
      );
      expect(lists).toHaveLength(1);
    } finally {
      await informer.stop();
    }
  });
});

describe('watch streams', () => {
  it('replay the events after a resourceVersion, in order', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' } } });
    const from = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } });
    await core.patchNamespacedConfigMap({
      name: 'a',
      namespace: ns,
      body: [{ op: 'add', path: '/data', value: { k: 'v' } }],
    });
    await core.deleteNamespacedConfigMap({ name: 'b', namespace: ns });
    const watch = await watchConfigMaps(ns, { resourceVersion: from });
    try {
      await eventually(() =>
        expect(watch.events.map((e) => `${e.type} ${e.name}`)).toEqual([
          'ADDED b',
          'MODIFIED a',
          'DELETED b',
        ]),
      );
      const versions = watch.events.map((e) => Number(e.resourceVersion));
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(versions[0]).toBeGreaterThan(Number(from));
      expect(watch.events[0]!.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
    } finally {
      watch.stop();
    }
  });

  it('turn label transitions into ADDED and DELETED for a selector', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'flip', labels: { role: 'other' } } },
    });
    const watch = await watchConfigMaps(ns, { labelSelector: 'role=web' });
    try {
      const relabel = (role: string) =>
        core.patchNamespacedConfigMap({
          name: 'flip',
          namespace: ns,
          body: [{ op: 'replace', path: '/metadata/labels/role', value: role }],
        });
      await relabel('web');
      await relabel('other');
      await eventually(() =>
        expect(watch.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED flip', 'DELETED flip']),
      );
    } finally {
      watch.stop();
    }
  });

  it('send one ERROR event with a 410 Expired Status for a compacted resourceVersion, then end', async () => {
    const ns = await namespace();
    const old = server.resourceVersion;
    server.compact();
    const watch = await watchConfigMaps(ns, { resourceVersion: old });
    expect(await watch.ended).toBeNull();
    expect(watch.events).toHaveLength(1);
    expect(watch.events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
    expect(String(watch.events[0]!.object['message'])).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('send BOOKMARK events with the current revision when allowed', async () => {
    const ns = await namespace();
    const watch = await watchConfigMaps(ns, {
      allowWatchBookmarks: true,
      resourceVersion: server.resourceVersion,
    });
    try {
      await eventually(() => expect(watch.events.some((e) => e.type === 'BOOKMARK')).toBe(true));
      const bookmark = watch.events.find((e) => e.type === 'BOOKMARK')!;
      expect(bookmark.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
      expect(Number(bookmark.resourceVersion)).toBeLessThanOrEqual(Number(server.resourceVersion));
    } finally {
      watch.stop();
    }
  });

  it('mark the end of initial events with a bookmark for sendInitialEvents=true', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'present' } } });
    const watch = await watchConfigMaps(ns, {
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
    });
    try {
      await eventually(() => expect(watch.events.length).toBeGreaterThanOrEqual(2));
      expect(watch.events[0]).toMatchObject({ type: 'ADDED', name: 'present' });
      expect(watch.events[1]).toMatchObject({
        type: 'BOOKMARK',
        object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
      });
    } finally {
      watch.stop();
    }
  });

  it('end when timeoutSeconds is over, and when the test closes all watches', async () => {
    const ns = await namespace();
    const timed = await watchConfigMaps(ns, { timeoutSeconds: 1 });
    expect(await timed.ended).toBeNull();
    const open = await watchConfigMaps(ns, {});
    await eventually(() => expect(server.openWatches).toBeGreaterThanOrEqual(1));
    server.closeWatches();
    expect(await open.ended).toBeNull();
  });
});
