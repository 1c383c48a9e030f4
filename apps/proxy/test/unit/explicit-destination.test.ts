import { proxyConfig } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { resolveExplicitDestination, searchCandidates } from '../../src/listeners/explicit-destination.js';
import { goldenListeners } from './golden-xds.js';

/**
 * Explicit mode: an application asks its sidecar for a service by name. The name resolves as a pod's
 * resolv.conf would expand it, to the VIP of the TCP service's outbound listener in istiod's output.
 */

describe('searchCandidates', () => {
  it.each([
    [
      'reviews',
      'default',
      ['reviews.default.svc.cluster.local', 'reviews.svc.cluster.local', 'reviews.cluster.local', 'reviews'],
    ],
    [
      'reviews.default',
      'bookinfo',
      [
        'reviews.default.bookinfo.svc.cluster.local',
        'reviews.default.svc.cluster.local',
        'reviews.default.cluster.local',
        'reviews.default',
      ],
    ],
    [
      'Mysql.DB.',
      'default',
      [
        'mysql.db.default.svc.cluster.local',
        'mysql.db.svc.cluster.local',
        'mysql.db.cluster.local',
        'mysql.db',
      ],
    ],
    [
      'a.b.c.d.e.f',
      'default',
      [
        'a.b.c.d.e.f',
        'a.b.c.d.e.f.default.svc.cluster.local',
        'a.b.c.d.e.f.svc.cluster.local',
        'a.b.c.d.e.f.cluster.local',
      ],
    ],
    [
      'api.example.com.internal.corp',
      'default',
      [
        'api.example.com.internal.corp.default.svc.cluster.local',
        'api.example.com.internal.corp.svc.cluster.local',
        'api.example.com.internal.corp.cluster.local',
        'api.example.com.internal.corp',
      ],
    ],
  ])('%s from namespace %s → %j (ndots:5)', (host, namespace, candidates) => {
    expect(searchCandidates(host, namespace)).toEqual(candidates);
  });

  it('uses the trust domain suffix it is given', () => {
    expect(searchCandidates('reviews', 'default', 'mesh.internal')[0]).toBe(
      'reviews.default.svc.mesh.internal',
    );
  });
});

describe('resolveExplicitDestination', () => {
  // reviews (HTTP 9080 + TCP 9090, default), ratings (HTTP 9080, default), mysql (TCP 3306, db).
  const listeners = goldenListeners('permissive-http-and-tcp');
  const config = proxyConfig({ listeners, routes: [], clusters: [], loadAssignments: [] });

  it.each([
    ['mysql.db', 'default', 3306, '10.96.0.20'],
    ['mysql.db.svc.cluster.local', 'default', 3306, '10.96.0.20'],
    ['mysql', 'db', 3306, '10.96.0.20'],
    ['MYSQL.db', 'default', 3306, '10.96.0.20'],
    ['reviews', 'default', 9090, '10.96.0.10'],
  ])('%s from namespace %s, port %i → the TCP listener on %s', (host, namespace, port, address) => {
    expect(resolveExplicitDestination(config, host, port, namespace)).toEqual({ address, port });
  });

  it.each([
    ['ratings', 'default', 9080, 'an HTTP port: 0.0.0.0_9080 routes by Host'],
    ['mysql', 'default', 3306, 'no mysql in namespace default'],
    ['mysql.db', 'default', 3307, 'no listener on that port'],
    ['unknown.example.com', 'default', 443, 'not in the mesh'],
  ])('keeps %s (from %s, port %i): %s', (host, namespace, port) => {
    expect(resolveExplicitDestination(config, host, port, namespace)).toEqual({ address: host, port });
  });

  it.each(['10.96.0.20', '192.168.1.7', '::1', 'fd00::20'])('passes the IP address %s through', (ip) => {
    expect(resolveExplicitDestination(config, ip, 3306, 'default')).toEqual({ address: ip, port: 3306 });
  });

  it('finds a TCP service whose VirtualService splits it between subsets (weighted_clusters)', () => {
    // orders-db: a tcp route sending 80/20 to subsets v1 and v2 on the 10.96.0.30_5432 listener.
    const routed = goldenListeners('tcp-and-tls-routes');
    const withRoutes = proxyConfig({ listeners: routed, routes: [], clusters: [], loadAssignments: [] });
    for (const host of ['orders-db', 'orders-db.default', 'orders-db.default.svc.cluster.local'])
      expect(resolveExplicitDestination(withRoutes, host, 5432, 'default'), host).toEqual({
        address: '10.96.0.30',
        port: 5432,
      });
  });
});
