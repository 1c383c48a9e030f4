import { describe, expect, it } from 'vitest';

import type { SidecarSpec } from '@mesh/policy';
import type { MeshService } from './mesh-model.js';
import {
  egressHostImports,
  hostMatches,
  parseEgressHost,
  scopeOutboundServices,
  selectSidecar,
  type SidecarRef,
} from './sidecar-scope.js';

function service(
  hostname: string,
  namespace: string,
  ports: number[] = [80],
  exportTo?: string[],
): MeshService {
  return {
    hostname,
    namespace,
    name: hostname.split('.')[0] ?? hostname,
    ports: ports.map((port) => ({ name: `http-${port}`, port, protocol: 'HTTP' })),
    addresses: [],
    origin: hostname.endsWith('.svc.cluster.local') ? 'Service' : 'ServiceEntry',
    resolution: 'STATIC',
    ...(exportTo ? { exportTo } : {}),
  };
}

const REVIEWS = service('reviews.shop.svc.cluster.local', 'shop', [9080, 9090]);
const RATINGS = service('ratings.shop.svc.cluster.local', 'shop');
const ISTIOD = service('istiod.istio-system.svc.cluster.local', 'istio-system', [15010, 15012]);
const BILLING = service('billing.finance.svc.cluster.local', 'finance');
const PRIVATE = service('ledger.finance.svc.cluster.local', 'finance', [80], ['.']);
const EXTERNAL = service('api.example.com', 'egress', [443]);
const DEEP = service('a.b.example.com', 'egress', [443]);
const WILDCARD_SE = service('*.b.example.com', 'egress', [443]);
const ALL = [BILLING, PRIVATE, ISTIOD, RATINGS, REVIEWS, EXTERNAL, DEEP, WILDCARD_SE];

function sidecar(namespace: string, name: string, spec: SidecarSpec): SidecarRef {
  return { namespace, name, spec };
}

describe('Sidecar selection', () => {
  const root = sidecar('istio-system', 'default', { egress: [{ hosts: ['./*'] }] });
  const rootSelector = sidecar('istio-system', 'selected', {
    workloadSelector: { labels: { app: 'reviews' } },
    egress: [{ hosts: ['*/*'] }],
  });
  const namespaceWide = sidecar('shop', 'default', { egress: [{ hosts: ['./*'] }] });
  const forReviews = sidecar('shop', 'reviews', {
    workloadSelector: { labels: { app: 'reviews' } },
    egress: [{ hosts: ['*/*'] }],
  });
  const elsewhere = sidecar('finance', 'default', { egress: [{ hosts: ['./*'] }] });

  it.each<[string, SidecarRef[], { namespace: string; labels: Record<string, string> }, string | undefined]>([
    [
      'the selector match beats the namespace default',
      [namespaceWide, forReviews, root],
      { namespace: 'shop', labels: { app: 'reviews', version: 'v1' } },
      'shop/reviews',
    ],
    [
      'the namespace default when the selector does not match',
      [namespaceWide, forReviews, root],
      { namespace: 'shop', labels: { app: 'ratings' } },
      'shop/default',
    ],
    [
      'the root namespace default otherwise',
      [elsewhere, root],
      { namespace: 'shop', labels: {} },
      'istio-system/default',
    ],
    [
      'a root-namespace Sidecar with a selector is not a mesh default',
      [rootSelector],
      { namespace: 'shop', labels: { app: 'reviews' } },
      undefined,
    ],
    ['none', [elsewhere], { namespace: 'shop', labels: {} }, undefined],
    [
      'the oldest selector match',
      [forReviews, sidecar('shop', 'reviews-2', forReviews.spec)],
      { namespace: 'shop', labels: { app: 'reviews' } },
      'shop/reviews',
    ],
  ])('%s', (_, sidecars, workload, expected) => {
    const chosen = selectSidecar(sidecars, workload, 'istio-system');
    expect(chosen ? `${chosen.namespace}/${chosen.name}` : undefined).toBe(expected);
  });
});

describe('Sidecar egress hosts', () => {
  it.each([
    ['*/*', { namespace: '*', host: '*' }],
    ['./*', { namespace: 'shop', host: '*' }],
    ['~/*', { namespace: undefined, host: '*' }],
    ['~finance/*', { namespace: 'finance', host: '*', excluded: true }],
    ['istio-system/*', { namespace: 'istio-system', host: '*' }],
    ['*/api.example.com', { namespace: '*', host: 'api.example.com' }],
    ['api.example.com', { namespace: '*', host: 'api.example.com' }],
  ])('parses %s', (entry, expected) => {
    expect(parseEgressHost(entry, 'shop')).toEqual(expected);
  });

  it.each<[string, string, boolean]>([
    ['*', 'reviews.shop.svc.cluster.local', true],
    ['*', '*.example.com', true],
    ['reviews.shop.svc.cluster.local', 'reviews.shop.svc.cluster.local', true],
    ['reviews.shop.svc.cluster.local', 'ratings.shop.svc.cluster.local', false],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'api.example.org', false],
    ['*.example.com', '*.b.example.com', true],
    ['*.example.com', '*.example.com', true],
    ['*.b.example.com', '*.example.com', false],
    ['api.example.com', '*.example.com', false],
    ['*.svc.cluster.local', 'reviews.shop.svc.cluster.local', true],
  ])('%s matches %s: %s', (pattern, hostname, expected) => {
    expect(hostMatches(pattern, hostname)).toBe(expected);
  });

  it.each<[string, MeshService, boolean]>([
    ['*/*', BILLING, true],
    ['./*', REVIEWS, true],
    ['./*', BILLING, false],
    ['~/*', REVIEWS, false],
    ['~finance/*', BILLING, false],
    ['finance/*', BILLING, true],
    ['finance/*', REVIEWS, false],
    ['*/reviews.shop.svc.cluster.local', REVIEWS, true],
    ['finance/reviews.shop.svc.cluster.local', REVIEWS, false],
    ['egress/*.example.com', EXTERNAL, true],
    ['*/*.shop.svc.cluster.local', RATINGS, true],
  ])('%s imports %s: %s', (entry, svc, expected) => {
    expect(egressHostImports(parseEgressHost(entry, 'shop'), svc)).toBe(expected);
  });
});

describe('scoped outbound services', () => {
  const hosts = (services: MeshService[]) => services.map((s) => s.hostname);

  it('without a Sidecar: every service exported to the namespace', () => {
    expect(hosts(scopeOutboundServices(ALL, undefined, 'shop'))).toEqual(
      hosts(ALL.filter((s) => s !== PRIVATE)),
    );
    expect(hosts(scopeOutboundServices(ALL, undefined, 'finance'))).toContain(PRIVATE.hostname);
  });

  it('a Sidecar without egress imports */*', () => {
    expect(scopeOutboundServices(ALL, { spec: { ingress: [] } }, 'shop')).toHaveLength(ALL.length - 1);
  });

  it.each<[string, SidecarSpec['egress'], string[]]>([
    [
      'own namespace and istio-system',
      [{ hosts: ['./*', 'istio-system/*'] }],
      [ISTIOD.hostname, RATINGS.hostname, REVIEWS.hostname],
    ],
    [
      'a wildcard host in any namespace',
      [{ hosts: ['*/*.example.com'] }],
      [EXTERNAL.hostname, DEEP.hostname, WILDCARD_SE.hostname],
    ],
    ['a single host', [{ hosts: ['egress/api.example.com'] }], [EXTERNAL.hostname]],
    ['exportTo still applies under */*', [{ hosts: ['*/*'] }], hosts(ALL.filter((s) => s !== PRIVATE))],
    [
      'explicitly naming a hidden service does not reveal it',
      [{ hosts: ['finance/ledger.finance.svc.cluster.local'] }],
      [],
    ],
    ['~ imports nothing', [{ hosts: ['~/*'] }], []],
    [
      // Istio 1.29: `~ns1/*` takes a namespace out of what the listener's other hosts import.
      'all but an excluded namespace',
      [{ hosts: ['*/*', '~egress/*'] }],
      [BILLING.hostname, ISTIOD.hostname, RATINGS.hostname, REVIEWS.hostname],
    ],
    [
      'all but one excluded host',
      [{ hosts: ['egress/*', '~egress/api.example.com'] }],
      [DEEP.hostname, WILDCARD_SE.hostname],
    ],
  ])('%s', (_, egress, expected) => {
    expect(hosts(scopeOutboundServices(ALL, { spec: { egress } }, 'shop'))).toEqual(expected);
  });

  it('a listener port keeps only services having that port, narrowed to it; listeners add up', () => {
    const scoped = scopeOutboundServices(
      ALL,
      {
        spec: {
          egress: [
            { port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['./*'] },
            { port: { number: 15012, protocol: 'GRPC', name: 'xds' }, hosts: ['istio-system/*'] },
            {
              port: { number: 9090, protocol: 'HTTP', name: 'admin' },
              hosts: ['*/reviews.shop.svc.cluster.local'],
            },
          ],
        },
      },
      'shop',
    );
    expect(scoped.map((s) => `${s.hostname}:${s.ports.map((p) => p.port).join(',')}`)).toEqual([
      'istiod.istio-system.svc.cluster.local:15012',
      'reviews.shop.svc.cluster.local:9080,9090',
    ]);
    // The registry's own service objects are left alone.
    expect(REVIEWS.ports).toHaveLength(2);
  });

  it('a port-less listener imports every port even when another listener names one', () => {
    const scoped = scopeOutboundServices(
      [REVIEWS],
      { spec: { egress: [{ port: { number: 9080 }, hosts: ['./*'] }, { hosts: ['./*'] }] } },
      'shop',
    );
    expect(scoped[0]?.ports.map((p) => p.port)).toEqual([9080, 9090]);
  });
});
