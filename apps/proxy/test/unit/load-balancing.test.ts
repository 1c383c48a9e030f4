import { proxyConfig, type EnvoyCluster, type EnvoyLoadAssignment } from '@mesh/xds';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ClusterManager, type UpstreamEndpoint } from '../../src/clusters/cluster-manager.js';
import { LoadBalancer, type LbPolicy } from '../../src/clusters/load-balancer.js';
import { goldenClusters } from './golden-xds.js';

/** Which endpoint a request goes to: the cluster's endpoints, their transport, and the LB policy. */

const endpoints = (...keys: string[]) => keys.map((key) => ({ key }));
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] as number;
};
const chooseMany = (lb: LoadBalancer, list: { key: string }[], n: number) =>
  Array.from({ length: n }, () => lb.choose(list)?.key);

describe('LoadBalancer', () => {
  it('ROUND_ROBIN cycles through the endpoints', () => {
    const lb = new LoadBalancer('ROUND_ROBIN', new Map());
    expect(chooseMany(lb, endpoints('a', 'b', 'c'), 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it.each(['RING_HASH', 'MAGLEV'] as LbPolicy[])(
    '%s sends equal keys to one endpoint, spreads keys, and moves few when an endpoint goes',
    (policy) => {
      const lb = new LoadBalancer(policy, new Map());
      const all = endpoints('a', 'b', 'c', 'd');
      const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
      const before = new Map(keys.map((k) => [k, lb.choose(all, k)?.key]));
      for (const k of keys) expect(lb.choose(all, k)?.key).toBe(before.get(k));
      expect(new Set(before.values()).size).toBe(4);
      const without = endpoints('a', 'b', 'c');
      const moved = keys.filter((k) => before.get(k) !== 'd' && lb.choose(without, k)?.key !== before.get(k));
      expect(moved).toEqual([]);
    },
  );

  it('keeps cycling when the endpoint list shrinks', () => {
    const lb = new LoadBalancer('ROUND_ROBIN', new Map());
    chooseMany(lb, endpoints('a', 'b', 'c'), 2);
    expect(chooseMany(lb, endpoints('a', 'b'), 3)).toEqual(['a', 'b', 'a']);
  });

  it('returns the only endpoint, or none', () => {
    for (const policy of ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM'] as LbPolicy[]) {
      const lb = new LoadBalancer(policy, new Map(), () => 0.99);
      expect(lb.choose(endpoints('only'))?.key).toBe('only');
      expect(lb.choose([])).toBeUndefined();
    }
  });

  it('RANDOM picks by the injected random', () => {
    const lb = new LoadBalancer('RANDOM', new Map(), sequence(0, 0.5, 0.99, 0.34));
    expect(chooseMany(lb, endpoints('a', 'b', 'c'), 4)).toEqual(['a', 'b', 'c', 'b']);
  });

  it.each([
    [{ a: 3 }, [0, 0.6], 'b'],
    [{ a: 3 }, [0.6, 0], 'b'],
    [{ a: 1, b: 2 }, [0.6, 0], 'a'],
    [{}, [0.6, 0], 'b'],
    [{ a: 1, b: 2 }, [0.6, 0.9], 'b'],
  ])('LEAST_REQUEST with active %o and random %o → %s', (active, randoms, chosen) => {
    const lb = new LoadBalancer('LEAST_REQUEST', new Map(Object.entries(active)), sequence(...randoms));
    expect(lb.choose(endpoints('a', 'b'))?.key).toBe(chosen);
  });
});

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const golden = (testCase: string) => {
  const { clusters, endpoints: loadAssignments } = goldenClusters(testCase);
  return proxyConfig({ listeners: [], routes: [], clusters, loadAssignments });
};

function picked(manager: ClusterManager, ...args: Parameters<ClusterManager['pick']>): UpstreamEndpoint {
  const result = manager.pick(...args);
  if (!('endpoint' in result)) throw new Error(`expected an endpoint, got ${JSON.stringify(result)}`);
  return result.endpoint;
}

const lbEndpoint = (address: string, health_status?: string) => ({
  endpoint: { address: { socket_address: { address, port_value: 8080 } } },
  ...(health_status ? { health_status } : {}),
});

/** A round-robin EDS cluster whose endpoints come under its eds_cluster_config.service_name. */
function edsConfig(lbEndpoints: object[]) {
  const cluster = {
    name: 'web',
    type: 'EDS',
    eds_cluster_config: { service_name: 'web-eds' },
  } as EnvoyCluster;
  const assignment = {
    cluster_name: 'web-eds',
    endpoints: [{ lb_endpoints: lbEndpoints }],
  } as EnvoyLoadAssignment;
  return proxyConfig({ listeners: [], routes: [], clusters: [cluster], loadAssignments: [assignment] });
}

describe('ClusterManager', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives auto-mTLS endpoints (tlsMode istio) the TLS socket and the others none', () => {
    const manager = new ClusterManager();
    manager.update(golden('plain-auto-mtls'));
    const reviews = manager.list().find((c) => c.name === REVIEWS)!.endpoints;
    expect(reviews.map((e) => [e.key, e.transport?.name])).toEqual([
      ['10.0.1.1:9080', 'envoy.transport_sockets.tls'],
      ['10.0.1.2:9080', undefined],
    ]);
    expect(reviews[0]!.transport?.typed_config?.['sni']).toBe(
      'outbound_.9080_._.reviews.default.svc.cluster.local',
    );
    expect(picked(manager, REVIEWS, undefined, new Set(['10.0.1.1:9080'])).key).toBe('10.0.1.2:9080');
  });

  it('picks only HEALTHY, UNKNOWN and unset endpoints, never UNHEALTHY or DRAINING', () => {
    const manager = new ClusterManager();
    manager.update(
      edsConfig([
        lbEndpoint('10.0.0.1', 'HEALTHY'),
        lbEndpoint('10.0.0.2', 'UNHEALTHY'),
        lbEndpoint('10.0.0.3'),
        lbEndpoint('10.0.0.4', 'DRAINING'),
        lbEndpoint('10.0.0.5', 'UNKNOWN'),
      ]),
    );
    const hosts = Array.from({ length: 6 }, () => picked(manager, 'web').host);
    expect(hosts).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.1', '10.0.0.3', '10.0.0.5']);
  });

  it('keeps the round-robin position across config updates', () => {
    const manager = new ClusterManager();
    const config = edsConfig([lbEndpoint('10.0.0.1'), lbEndpoint('10.0.0.2')]);
    manager.update(config);
    expect(picked(manager, 'web').host).toBe('10.0.0.1');
    manager.update(config);
    expect(picked(manager, 'web').host).toBe('10.0.0.2');
  });

  it('sends ORIGINAL_DST clusters to the original destination', () => {
    const manager = new ClusterManager();
    manager.update(golden('plain-auto-mtls'));
    expect(picked(manager, 'PassthroughCluster', { host: '93.184.216.34', port: 443 })).toEqual({
      cluster: 'PassthroughCluster',
      host: '93.184.216.34',
      port: 443,
      key: '93.184.216.34:443',
    });
    expect(manager.pick('PassthroughCluster')).toMatchObject({ error: 'UH' });
  });

  it.each([
    ['an unknown cluster', 'outbound|80||nope.default.svc.cluster.local', { error: 'NC' }],
    [
      'a STATIC cluster without endpoints',
      'BlackHoleCluster',
      { error: 'UH', message: 'no healthy upstream' },
    ],
  ])('answers %s with %o', (_label, cluster, error) => {
    const manager = new ClusterManager();
    manager.update(golden('plain-auto-mtls'));
    expect(manager.pick(cluster)).toMatchObject(error);
  });

  it('answers UH when every endpoint is unhealthy', () => {
    const manager = new ClusterManager();
    manager.update(edsConfig([lbEndpoint('10.0.0.1', 'UNHEALTHY'), lbEndpoint('10.0.0.2', 'DRAINING')]));
    expect(manager.pick('web')).toEqual({ error: 'UH', message: 'no healthy upstream' });
  });

  it('falls back to every endpoint when all of them are excluded (a retry with no other host)', () => {
    const manager = new ClusterManager();
    manager.update(edsConfig([lbEndpoint('10.0.0.1')]));
    expect(picked(manager, 'web', undefined, new Set(['10.0.0.1:8080'])).host).toBe('10.0.0.1');
  });

  it("rewrites inbound endpoints to the application's address in explicit mode", () => {
    const inboundPorts = new Map([[9080, { host: '127.0.0.5', port: 40_000 }]]);
    const manager = new ClusterManager((cluster, _host, port) =>
      cluster.startsWith('inbound|') || cluster === 'InboundPassthroughCluster'
        ? inboundPorts.get(port)
        : undefined,
    );
    manager.update(golden('inbound-two-services'));
    expect(picked(manager, 'inbound|9080||')).toMatchObject({
      host: '127.0.0.5',
      port: 40_000,
      key: '127.0.0.5:40000',
    });
    expect(picked(manager, 'inbound|8081||')).toMatchObject({ host: '127.0.0.1', port: 8081 });
    expect(picked(manager, 'InboundPassthroughCluster', { host: '10.0.0.9', port: 9080 })).toMatchObject({
      host: '127.0.0.5',
      port: 40_000,
    });
    expect(manager.endpointKeys()).toContain('127.0.0.5:40000');
  });

  it('counts requests in flight per endpoint until released, once', () => {
    const manager = new ClusterManager();
    const endpoint = { cluster: 'web', host: '10.0.0.1', port: 8080, key: '10.0.0.1:8080' };
    const first = manager.track(endpoint);
    const second = manager.track(endpoint);
    expect(manager.active.get('10.0.0.1:8080')).toBe(2);
    first();
    first();
    expect(manager.active.get('10.0.0.1:8080')).toBe(1);
    second();
    expect(manager.active.has('10.0.0.1:8080')).toBe(false);
  });

  it('sends LEAST_REQUEST traffic to the endpoint with fewer requests in flight', () => {
    vi.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0.6);
    const manager = new ClusterManager();
    manager.update(golden('plain-auto-mtls')); // reviews is LEAST_REQUEST, as Istio defaults
    const busy = manager.list().find((c) => c.name === REVIEWS)!.endpoints[0]!;
    manager.track(busy);
    expect(picked(manager, REVIEWS).key).toBe('10.0.1.2:9080');
  });
});
