import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import type { SidecarProxy } from '../generation/sidecar/sidecar-context.js';
import { sidecarConfig, simulate } from './simulate.js';

/** Outbound calls from productpage through its generated listeners, routes and clusters. */
const PRODUCTPAGE: SidecarProxy = {
  id: 'sidecar~10.0.0.9~productpage-v1-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'productpage', version: 'v1' },
  ipAddresses: ['10.0.0.9'],
  serviceAccount: 'bookinfo-productpage',
};

const snapshot = MeshSnapshot.fromYaml(
  readFileSync(join(import.meta.dirname, 'testdata', 'bookinfo-reviews.yaml'), 'utf8'),
  'bookinfo-reviews.yaml',
);
const config = sidecarConfig(snapshot, PRODUCTPAGE);
const REVIEWS = 'reviews.default.svc.cluster.local';

function callReviews(extra: { path?: string; headers?: Record<string, string>; host?: string } = {}) {
  return simulate(config, {
    direction: 'outbound',
    address: '10.96.0.10',
    port: 9080,
    protocol: 'http',
    host: 'reviews:9080',
    ...extra,
  });
}

describe('outbound HTTP routing', () => {
  it('sends user jason to reviews v2 over Istio mTLS', () => {
    const result = callReviews({ headers: { 'end-user': 'jason' } });
    expect(result).toMatchObject({
      listener: '0.0.0.0_9080',
      routeConfig: '9080',
      virtualHost: `${REVIEWS}:9080`,
      route: 'jason',
      clusters: [{ name: `outbound|9080|v2|${REVIEWS}` }],
      endpoints: [{ address: '10.0.1.2', port: 9080, tls: 'ISTIO_MUTUAL' }],
    });
    expect(result.error).toBeUndefined();
  });

  it('splits everyone else 90/10 between v1 and v3', () => {
    const result = callReviews({ headers: { 'end-user': 'mary' } });
    expect(result.route).toBe('canary');
    expect(result.clusters).toEqual([
      { name: `outbound|9080|v1|${REVIEWS}`, weight: 90 },
      { name: `outbound|9080|v3|${REVIEWS}`, weight: 10 },
    ]);
    expect(result.endpoints.map((e) => [e.cluster, e.address])).toEqual([
      [`outbound|9080|v1|${REVIEWS}`, '10.0.1.1'],
      [`outbound|9080|v3|${REVIEWS}`, '10.0.1.3'],
    ]);
  });

  it('matches the header value exactly and case-sensitively', () => {
    expect(callReviews({ headers: { 'end-user': 'Jason' } }).route).toBe('canary');
  });

  it('finds the virtual host by any of the service names a client may use', () => {
    for (const host of ['reviews', `${REVIEWS}:9080`, 'reviews.default', '10.96.0.10:9080', 'REVIEWS:9080'])
      expect(callReviews({ host, headers: { 'end-user': 'jason' } }).route).toBe('jason');
  });

  it('routes a path prefix to its subset, and only that prefix', () => {
    expect(callReviews({ path: '/preview/123?x=1' })).toMatchObject({
      route: 'preview',
      clusters: [{ name: `outbound|9080|v3|${REVIEWS}` }],
    });
    expect(callReviews({ path: '/Preview/123' }).route).toBe('canary');
  });

  it('answers an exact path with a redirect instead of a cluster', () => {
    const result = callReviews({ path: '/old' });
    expect(result).toMatchObject({ route: 'moved', redirect: { path_redirect: '/new' }, clusters: [] });
    expect(callReviews({ path: '/old/page' }).route).toBe('canary');
  });
});

describe('outbound traffic to hosts outside the registry', () => {
  const unknownHost = {
    direction: 'outbound',
    address: '203.0.113.7',
    port: 9080,
    protocol: 'http',
    host: 'api.example.com',
  } as const;
  const unknownPort = { direction: 'outbound', address: '203.0.113.7', port: 5555, protocol: 'tcp' } as const;

  it('passes through under ALLOW_ANY, to the address the app dialled', () => {
    expect(simulate(config, unknownHost)).toMatchObject({
      virtualHost: 'allow_any',
      clusters: [{ name: 'PassthroughCluster' }],
      endpoints: [{ address: '203.0.113.7', port: 9080, tls: 'plaintext' }],
    });
    expect(simulate(config, unknownPort)).toMatchObject({
      listener: 'virtualOutbound',
      filterChain: 'virtualOutbound-catchall-tcp',
      clusters: [{ name: 'PassthroughCluster' }],
    });
  });

  it('is refused under REGISTRY_ONLY: 502 for HTTP, the black hole for TCP', () => {
    const registryOnly = sidecarConfig(snapshot, PRODUCTPAGE, { outboundTrafficPolicy: 'REGISTRY_ONLY' });
    expect(simulate(registryOnly, unknownHost)).toMatchObject({
      virtualHost: 'block_all',
      directResponse: { status: 502 },
      clusters: [],
    });
    expect(simulate(registryOnly, unknownPort)).toMatchObject({
      filterChain: 'virtualOutbound-catchall-tcp',
      clusters: [{ name: 'BlackHoleCluster' }],
      endpoints: [],
    });
    expect(simulate(registryOnly, { ...unknownHost, host: 'reviews' }).clusters[0]?.name).toMatch(/reviews/);
  });
});
