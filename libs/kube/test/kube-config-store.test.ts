import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { renderIstioCrds, type ConfigEvent } from '@mesh/policy';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { KubeConfigStore, MESH_WATCHED_KINDS, type Clock } from '../src/index.js';
import { FaultInjectingProxy } from './fault-injecting-proxy.js';
import { eventually, uniqueName } from './helpers.js';

const WATCHED = MESH_WATCHED_KINDS.filter((k) => ['VirtualService', 'Service'].includes(k.kind));

function virtualService(namespace: string, name: string, weights: [number, number] = [90, 10]) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace },
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

function service(namespace: string, name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 9080 }] },
  };
}

/** One real control plane for the file, with the Istio CRDs applied by kubectl as a user does. */
let cluster: KubeCluster;

beforeAll(async () => {
  cluster = await buildAndStartCluster();
  await cluster.runKubectl(['apply', '-f', '-'], renderIstioCrds());
  await cluster.runKubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(() => cluster?.down(), 60_000);

/** `kubectl apply` of objects, as a user changes the mesh's config. */
const apply = (...objects: object[]) =>
  cluster.runKubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
const kubectl = (...args: string[]) => cluster.runKubectl(args);

// Each test waits on the informers of a real API server and kubectl on two busy cores.
describe('KubeConfigStore on a real API server', { timeout: 120_000 }, () => {
  let store: KubeConfigStore | undefined;
  let proxy: FaultInjectingProxy | undefined;
  afterEach(async () => {
    await store?.stop();
    await proxy?.stop();
    store = undefined;
    proxy = undefined;
  });

  /**
   * A namespace of its own for each test (the store sees every namespace) holding a VirtualService and
   * a Service `reviews`, and a started store on it: connected as cluster-admin with the cluster's
   * kubeconfig (TLS, client certificate), or through a FaultInjectingProxy for the tests of faults.
   */
  async function setup(
    options: { viaProxy?: boolean; clock?: Clock; retries?: { kind: string; delay: number }[] } = {},
  ) {
    const namespace = uniqueName('store');
    await kubectl('create', 'namespace', namespace);
    await apply(virtualService(namespace, 'reviews'), service(namespace, 'reviews'));
    if (options.viaProxy) proxy = await FaultInjectingProxy.start(cluster.kubeConfig());
    const events: string[] = [];
    store = new KubeConfigStore(proxy?.kubeConfig() ?? cluster.kubeConfig(), {
      kinds: WATCHED,
      clock: options.clock,
      initialBackoffMs: 500,
      maxBackoffMs: 4000,
      onError: (kind, _error, delay) => options.retries?.push({ kind, delay }),
    });
    store.subscribe((e: ConfigEvent) => {
      if (e.config.namespace === namespace) events.push(`${e.type} ${e.config.kind}/${e.config.name}`);
    });
    await store.start();
    const inNamespace = () =>
      store!
        .list()
        .filter((c) => c.namespace === namespace)
        .map((c) => `${c.kind} ${c.name}`)
        .sort();
    const invalid = () =>
      store!
        .status()
        .invalid.filter((f) => f.namespace === namespace)
        .map((f) => `${f.code} ${f.name} ${f.path}`);
    const stale = () => store!.status().stale.filter((s) => s.namespace === namespace);
    return { namespace, events, inNamespace, invalid, stale };
  }

  it('lists, then follows watch events (add, update, delete), and keeps semantically invalid objects out', async () => {
    const { namespace, events, inNamespace, invalid } = await setup();
    expect(store!.status().synced).toBe(true);
    expect(inNamespace()).toEqual(['Service reviews', 'VirtualService reviews']);
    events.length = 0;

    await apply(virtualService(namespace, 'ratings'), virtualService(namespace, 'reviews', [0, 100]));
    await kubectl('delete', 'service', 'reviews', '-n', namespace);
    await eventually(() =>
      expect([...events].sort()).toEqual([
        'add VirtualService/ratings',
        'delete Service/reviews',
        'update VirtualService/reviews',
      ]),
    );

    // The CRD schema accepts weights 0/0; Istio's semantic validation does not (an all-zero split).
    await apply(virtualService(namespace, 'details', [0, 0]));
    await eventually(() => expect(invalid()).toEqual(['WEIGHT_INVALID details spec.http[0].route']));
    expect(store!.get('VirtualService', namespace, 'details')).toBeUndefined();
  });

  it('keeps the last good version of an object whose update is invalid, until a valid update or its deletion', async () => {
    const { namespace, events, invalid, stale } = await setup();
    const weights = () =>
      (
        store!.get('VirtualService', namespace, 'reviews')!.object['spec'] as {
          http: { route: { weight: number }[] }[];
        }
      ).http[0]!.route.map((r) => r.weight);
    events.length = 0;

    // The CRD schema accepts weights 0/0, so the API server stores them; istiod must not apply them.
    await apply(virtualService(namespace, 'reviews', [0, 0]));
    await eventually(() => expect(invalid()).toEqual(['WEIGHT_INVALID reviews spec.http[0].route']));
    expect(weights()).toEqual([90, 10]);
    expect(events).toEqual([]);
    expect(stale()).toMatchObject([
      {
        kind: 'VirtualService',
        name: 'reviews',
        reason: expect.stringMatching(/WEIGHT_INVALID.*last good version \(resourceVersion \d+\) kept$/),
      },
    ]);

    await apply(virtualService(namespace, 'reviews', [20, 80]));
    await eventually(() => expect(weights()).toEqual([20, 80]));
    expect({ invalid: invalid(), stale: stale() }).toEqual({ invalid: [], stale: [] });

    await apply(virtualService(namespace, 'reviews', [0, 0]));
    await eventually(() => expect(stale()).toHaveLength(1));
    await kubectl('delete', 'virtualservice', 'reviews', '-n', namespace);
    await eventually(() => expect(store!.get('VirtualService', namespace, 'reviews')).toBeUndefined());
    expect({ invalid: invalid(), stale: stale() }).toEqual({ invalid: [], stale: [] });
  });

  it('relists after its watches get 410 Gone, without losing or duplicating events', async () => {
    const { namespace, events, inNamespace } = await setup({ viaProxy: true });
    await apply(virtualService(namespace, 'a'));
    await eventually(() => expect(store!.get('VirtualService', namespace, 'a')).toBeDefined());
    events.length = 0;
    const listsBefore = proxy!.lists.length;

    proxy!.expireWatches(); // the informers' watches end; resumed, they get 410 Gone and must relist
    await apply(virtualService(namespace, 'b'));
    await kubectl('delete', 'virtualservice', 'a', '-n', namespace);

    await eventually(() =>
      expect(inNamespace()).toEqual(['Service reviews', 'VirtualService b', 'VirtualService reviews']),
    );
    expect(proxy!.expired).toContain(WATCHED.find((k) => k.kind === 'VirtualService')!.path);
    await eventually(() => expect(proxy!.lists.length).toBeGreaterThanOrEqual(listsBefore + WATCHED.length));
    await new Promise((r) => setTimeout(r, 200)); // let any duplicate arrive, if there is one
    expect([...events].sort()).toEqual(['add VirtualService/b', 'delete VirtualService/a']);
  });

  it('retries with capped exponential backoff while the API server is unreachable, then resyncs', async () => {
    const clock = new ManualClock();
    const retries: { kind: string; delay: number }[] = [];
    const { namespace } = await setup({ viaProxy: true, clock, retries });
    await proxy!.stop();
    const serviceRetries = () => retries.filter((r) => r.kind === 'Service').map((r) => r.delay);
    await eventually(() => expect(clock.pending.size).toBeGreaterThan(0));
    for (let fired = 0; serviceRetries().length < 6 && fired < 10; fired++) {
      const before = clock.delays.length;
      clock.fireAll(); // retries fail while the server is unreachable and schedule the next, longer wait
      await eventually(() => expect(clock.delays.length).toBeGreaterThan(before));
    }
    expect(serviceRetries().slice(0, 6)).toEqual([500, 1000, 2000, 4000, 4000, 4000]);

    await proxy!.start();
    await apply(virtualService(namespace, 'after-outage'));
    clock.fireAll();
    await eventually(() => expect(store!.get('VirtualService', namespace, 'after-outage')).toBeDefined());
  });
});
