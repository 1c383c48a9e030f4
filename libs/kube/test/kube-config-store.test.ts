import { CustomObjectsApi, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { renderIstioCrds, type ConfigEvent } from '@mesh/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { KubeConfigStore, MESH_WATCHED_KINDS, type Clock } from '../src/index.js';
import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { eventually } from './helpers.js';

const WATCHED = MESH_WATCHED_KINDS.filter((k) => ['VirtualService', 'Service'].includes(k.kind));

function virtualService(name: string, weights: [number, number] = [90, 10]) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'default' },
    spec: {
      hosts: [name],
      http: [
        {
          route: [
            { destination: { host: name, subset: 'v1' }, weight: weights[0] },
            { destination: { host: name, subset: 'v2' }, weight: weights[1] },
          ],
        },
      ],
    },
  };
}

/** Timers the test fires by hand, recording the delays the store asked for. */
class ManualClock implements Clock {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  readonly delays: number[] = [];
  private next = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    this.delays.push(ms);
    this.pending.set(++this.next, { fn, ms });
    return this.next;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.fn();
  }
}

describe('KubeConfigStore against the test API server', () => {
  let server: TestApiServer | undefined;
  let store: KubeConfigStore | undefined;
  afterEach(async () => {
    await store?.stop();
    await server?.close();
  });

  async function setup(clock?: Clock, retries: { kind: string; delay: number }[] = []) {
    const lists: string[] = [];
    server = await startTestApiServer({ onRequest: (r) => r.verb === 'list' && lists.push(r.path) });
    const kc = server.kubeConfig();
    const api = KubernetesObjectApi.makeApiClient(kc);
    for (const doc of parseAllDocuments(renderIstioCrds())) await api.create(doc.toJS() as KubernetesObject);
    await eventually(async () => {
      await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace: 'default',
        plural: 'virtualservices',
      });
    });
    await api.create(virtualService('reviews') as KubernetesObject);
    await api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] },
    } as KubernetesObject);
    const events: ConfigEvent[] = [];
    store = new KubeConfigStore(kc, {
      kinds: WATCHED,
      clock,
      initialBackoffMs: 500,
      maxBackoffMs: 4000,
      onError: (kind, _error, delay) => retries.push({ kind, delay }),
    });
    store.subscribe((e) => events.push(e));
    await store.start();
    return { api, events, lists, kc };
  }

  it('lists, then follows watch events (add, update, delete), and keeps semantically invalid objects out', async () => {
    const { api, events } = await setup();
    expect(store!.status().synced).toBe(true);
    expect(
      store!
        .list()
        .map((c) => `${c.kind} ${c.namespace}/${c.name}`)
        .sort(),
    ).toEqual(['Service default/reviews', 'VirtualService default/reviews']);
    events.length = 0;

    await api.create(virtualService('ratings') as KubernetesObject);
    await api.replace({
      ...virtualService('reviews', [0, 100]),
      metadata: { ...(store!.get('VirtualService', 'default', 'reviews')!.object['metadata'] as object) },
    } as KubernetesObject);
    await api.delete({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reviews', namespace: 'default' },
    });
    await eventually(() =>
      expect(events.map((e) => `${e.type} ${e.config.kind}/${e.config.name}`)).toEqual([
        'add VirtualService/ratings',
        'update VirtualService/reviews',
        'delete Service/reviews',
      ]),
    );

    // The CRD schema accepts weights 0/0; Istio's semantic validation does not (an all-zero split).
    await api.create(virtualService('details', [0, 0]) as KubernetesObject);
    await eventually(() =>
      expect(store!.status().invalid.map((f) => `${f.code} ${f.name} ${f.path}`)).toEqual([
        'WEIGHT_INVALID details spec.http[0].route',
      ]),
    );
    expect(store!.get('VirtualService', 'default', 'details')).toBeUndefined();
  });

  it('keeps the last good version of an object whose update is invalid, until a valid update or its deletion', async () => {
    const { api, events } = await setup();
    const metadata = () => store!.get('VirtualService', 'default', 'reviews')!.object['metadata'] as object;
    const weights = () =>
      (
        store!.get('VirtualService', 'default', 'reviews')!.object['spec'] as {
          http: { route: { weight: number }[] }[];
        }
      ).http[0]!.route.map((r) => r.weight);
    events.length = 0;

    // The CRD schema accepts weights 0/0, so the API server stores them; istiod must not apply them.
    await api.replace({ ...virtualService('reviews', [0, 0]), metadata: metadata() } as KubernetesObject);
    await eventually(() =>
      expect(store!.status().invalid.map((f) => `${f.code} ${f.name}`)).toEqual(['WEIGHT_INVALID reviews']),
    );
    expect(weights()).toEqual([90, 10]);
    expect(events).toEqual([]);
    expect(store!.status().stale).toMatchObject([
      {
        kind: 'VirtualService',
        namespace: 'default',
        name: 'reviews',
        reason: expect.stringMatching(/WEIGHT_INVALID.*last good version \(resourceVersion \d+\) kept$/),
      },
    ]);

    const current = (await api.read({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
    })) as KubernetesObject;
    await api.replace({
      ...virtualService('reviews', [20, 80]),
      metadata: current.metadata,
    } as KubernetesObject);
    await eventually(() => expect(weights()).toEqual([20, 80]));
    expect(store!.status()).toMatchObject({ invalid: [], stale: [] });

    const again = (await api.read({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
    })) as KubernetesObject;
    await api.replace({
      ...virtualService('reviews', [0, 0]),
      metadata: again.metadata,
    } as KubernetesObject);
    await eventually(() => expect(store!.status().stale).toHaveLength(1));
    await api.delete({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
    });
    await eventually(() => expect(store!.get('VirtualService', 'default', 'reviews')).toBeUndefined());
    expect(store!.status()).toMatchObject({ invalid: [], stale: [] });
  });

  it('relists after a forced 410 without losing or duplicating events', async () => {
    const { api, events, lists } = await setup();
    await api.create(virtualService('a') as KubernetesObject);
    await eventually(() => expect(store!.get('VirtualService', 'default', 'a')).toBeDefined());
    events.length = 0;
    const listsBefore = lists.length;

    server!.compact(); // the informers' resourceVersions fall out of the watch history
    server!.closeWatches(); // they resume from them, get 410 Gone and must relist
    await api.create(virtualService('b') as KubernetesObject);
    await api.delete({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'a', namespace: 'default' },
    });

    await eventually(() =>
      expect(
        store!
          .list('VirtualService')
          .map((c) => c.name)
          .sort(),
      ).toEqual(['b', 'reviews']),
    );
    await eventually(() => expect(lists.length).toBeGreaterThan(listsBefore));
    await new Promise((r) => setTimeout(r, 200)); // let any duplicate arrive, if there is one
    expect(events.map((e) => `${e.type} ${e.config.name}`).sort()).toEqual(['add b', 'delete a']);
  });

  it('retries with capped exponential backoff while the API server is down, then resyncs', async () => {
    const clock = new ManualClock();
    const retries: { kind: string; delay: number }[] = [];
    const { api } = await setup(clock, retries);
    await server!.stop();
    await eventually(() => expect(clock.pending.size).toBeGreaterThan(0));
    for (let i = 0; i < 5; i++) {
      const before = clock.delays.length;
      clock.fireAll(); // retries fail while the server is down and schedule the next, longer wait
      await eventually(() => expect(clock.delays.length).toBeGreaterThan(before));
    }
    const serviceRetries = retries.filter((r) => r.kind === 'Service').map((r) => r.delay);
    expect(serviceRetries.slice(0, 6)).toEqual([500, 1000, 2000, 4000, 4000, 4000]);

    await server!.start();
    await api.create(virtualService('after-outage') as KubernetesObject);
    clock.fireAll();
    await eventually(() => expect(store!.get('VirtualService', 'default', 'after-outage')).toBeDefined());
  });
});
