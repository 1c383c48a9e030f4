import { compiledRouteTable, headerValues, type EnvoyRoute, type EnvoyRouteConfiguration } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { decideRoute, type RouteDecision } from '../../src/http/route-decision.js';
import { goldenRouteConfig } from './golden-xds.js';

/** Direct responses, redirects, rewrites and header mutations, on istiod's `redirect-rewrite` output. */

const request = (authority: string, path: string, headers: Record<string, string> = {}) =>
  headerValues({ ':method': 'GET', ':scheme': 'http', ':authority': authority, ':path': path, ...headers });

function as<K extends RouteDecision['kind']>(kind: K, decision: RouteDecision) {
  if (decision.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(decision)}`);
  return decision as Extract<RouteDecision, { kind: K }>;
}

const web80 = goldenRouteConfig('redirect-rewrite', '80');
const web8080 = goldenRouteConfig('redirect-rewrite', '8080');
const byPort: Record<string, EnvoyRouteConfiguration> = { '80': web80, '8080': web8080 };
const oneRoute = (route: Partial<EnvoyRoute>, vhost: Record<string, unknown> = {}): EnvoyRouteConfiguration =>
  ({
    name: 'test',
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, ...route }], ...vhost }],
  }) as EnvoyRouteConfiguration;

describe('decideRoute: direct responses', () => {
  it('answers a POST to /maintenance with the 503 and its body', () => {
    const decision = as(
      'direct',
      decideRoute(
        compiledRouteTable(web80),
        request('web', '/maintenance/now?force=true&debug', { ':method': 'POST' }),
      ),
    );
    expect(decision).toMatchObject({ route: 'maintenance', status: 503, body: '{"error":"maintenance"}' });
  });

  it('forwards the same path with GET (the method is part of the match)', () => {
    const decision = as(
      'forward',
      decideRoute(compiledRouteTable(web80), request('web', '/maintenance/now?force=true&debug')),
    );
    expect(decision.cluster).toBe('outbound|80||web.default.svc.cluster.local');
  });

  it('answers /admin on port 8080 with a bodiless 403', () => {
    const decision = as(
      'direct',
      decideRoute(compiledRouteTable(web8080), request('web:8080', '/admin/users')),
    );
    expect(decision).toMatchObject({ route: 'admin-only', status: 403 });
    expect('body' in decision).toBe(false);
  });
});

describe('decideRoute: redirects', () => {
  it.each([
    ['80', 'web', '/old', 308, 'https://web.example.com/new'],
    ['80', 'web', '/V1/anything', 308, 'https://web.example.com/new'],
    ['80', 'web', '/old?ref=mail', 308, 'https://web.example.com/new?ref=mail'],
    ['80', 'web', '/same', 301, 'http://web/elsewhere'],
    ['8080', 'web:8080', '/same/x', 301, 'http://web:8080/elsewhere'],
  ])('istiod routes %s: %s%s → %i %s', (port, host, path, status, location) => {
    expect(as('redirect', decideRoute(compiledRouteTable(byPort[port]!), request(host, path)))).toMatchObject(
      {
        status,
        location,
      },
    );
  });

  it.each([
    [{ path_redirect: '/new' }, 'reviews:9080', '/old', 301, 'http://reviews:9080/new'],
    [{ path_redirect: '/new?x=1' }, 'web', '/old?y=2', 301, 'http://web/new?x=1'],
    [{ https_redirect: true }, 'web:80', '/a?b=1', 301, 'https://web/a?b=1'],
    [{ https_redirect: true }, 'web:8443', '/a', 301, 'https://web:8443/a'],
    [{ scheme_redirect: 'https', port_redirect: 8443 }, 'web:80', '/a', 301, 'https://web:8443/a'],
    [{ host_redirect: 'b.example', response_code: 'FOUND' }, 'a:8080', '/p', 302, 'http://b.example/p'],
    [{ path_redirect: '/n', response_code: 'SEE_OTHER' }, 'web', '/', 303, 'http://web/n'],
    [{ path_redirect: '/n', response_code: 'TEMPORARY_REDIRECT' }, 'web', '/', 307, 'http://web/n'],
  ])('as Envoy builds it: %o for %s%s → %i %s', (redirect, host, path, status, location) => {
    expect(
      as('redirect', decideRoute(compiledRouteTable(oneRoute({ redirect })), request(host, path))),
    ).toMatchObject({
      status,
      location,
    });
  });
});

describe('decideRoute: path and host rewrites', () => {
  it.each([
    ['/legacy/books/1?q=2', '/books/1?q=2'],
    ['/legacy/', '/'],
  ])('rewrites the /legacy/ prefix: %s → %s, and the authority', (path, rewritten) => {
    const decision = as('forward', decideRoute(compiledRouteTable(web80), request('web', path)));
    expect(decision).toMatchObject({
      route: 'legacy',
      cluster: 'outbound|8000||legacy.legacy.svc.cluster.local',
      path: rewritten,
      authority: 'legacy.legacy.svc.cluster.local',
    });
  });

  it('leaves path and authority alone on routes without rewrites', () => {
    const decision = as(
      'forward',
      decideRoute(compiledRouteTable(web80), request('web', '/legacy/books', { 'x-skip': '1' })),
    );
    expect(decision.path).toBe('/legacy/books');
    expect(decision.authority).toBeUndefined();
  });

  const api = { 'x-api': '1', 'x-tenant': 'team-a' };
  it.each([
    [0.1, 'stable', undefined],
    [0.9, 'beta', 'beta.web'],
  ])(
    'regex-rewrites /api/vN/ and, at random %f, sends to %s with authority %s',
    (random, subset, authority) => {
      const decision = as(
        'forward',
        decideRoute(compiledRouteTable(web80), request('web', '/api/v2/users/7?full=1', api), () => random),
      );
      expect(decision.cluster).toBe(`outbound|80|${subset}|web.default.svc.cluster.local`);
      expect(decision.path).toBe('/v2/users/7?full=1');
      expect(decision.authority).toBe(authority);
    },
  );

  it.each([
    ['^/service/([^/]+)(/.*)$', '\\2/instance/\\1', '/service/foo/v1/api', '/v1/api/instance/foo'],
    ['one', 'two', '/xxx/one/yyy/one/zzz', '/xxx/two/yyy/two/zzz'],
  ])("regex_rewrite %s → %s (Envoy's documented examples)", (regex, substitution, path, rewritten) => {
    const route = { route: { cluster: 'c', regex_rewrite: { pattern: { regex }, substitution } } };
    expect(as('forward', decideRoute(compiledRouteTable(oneRoute(route)), request('web', path))).path).toBe(
      rewritten,
    );
  });
});

describe('decideRoute: header mutations', () => {
  it("carries the VirtualService's header operations", () => {
    const decision = as('forward', decideRoute(compiledRouteTable(web80), request('web', '/legacy/x')));
    expect(decision.request).toEqual({
      set: [
        { key: 'x-forwarded-prefix', value: '/legacy', append: false },
        { key: 'x-trace', value: 'web', append: true },
        { key: 'x-routed-by', value: 'mesh', append: false },
      ],
      remove: ['x-internal'],
    });
    expect(decision.response).toEqual({
      set: [{ key: 'cache-control', value: 'no-store', append: true }],
      remove: ['server'],
    });
  });

  const add = (level: string, append?: object) => [{ header: { key: 'X-Level', value: level }, ...append }];
  const leveled = (action: Partial<EnvoyRoute>): EnvoyRouteConfiguration =>
    ({
      ...oneRoute(
        {
          ...action,
          request_headers_to_add: add('route', { append_action: 'APPEND_IF_EXISTS_OR_ADD' }),
          request_headers_to_remove: ['X-Route'],
          response_headers_to_add: add('route'),
        } as Partial<EnvoyRoute>,
        {
          request_headers_to_add: add('vhost', { append: { value: true } }),
          request_headers_to_remove: ['x-vhost'],
          response_headers_to_add: add('vhost', { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }),
        },
      ),
      request_headers_to_add: add('config', { append: { value: false } }),
      response_headers_to_add: add('config'),
      response_headers_to_remove: ['x-config'],
    }) as EnvoyRouteConfiguration;

  it('applies the weighted cluster, then the route, then the virtual host, then the route configuration', () => {
    const weighted = {
      route: {
        weighted_clusters: {
          clusters: [{ name: 'c', weight: { value: 1 }, request_headers_to_add: add('cluster') }],
        },
      },
    };
    const decision = as('forward', decideRoute(compiledRouteTable(leveled(weighted)), request('web', '/')));
    expect(decision.request.set).toEqual([
      { key: 'x-level', value: 'cluster', append: false },
      { key: 'x-level', value: 'route', append: true },
      { key: 'x-level', value: 'vhost', append: true },
      { key: 'x-level', value: 'config', append: false },
    ]);
    expect(decision.request.remove).toEqual(['x-route', 'x-vhost']);
  });

  it.each([
    ['direct', { direct_response: { status: 204 } }],
    ['redirect', { redirect: { path_redirect: '/n' } }],
  ] as const)('gives a %s response the response header changes', (kind, action) => {
    const decision = as(kind, decideRoute(compiledRouteTable(leveled(action)), request('web', '/')));
    expect(decision.response).toEqual({
      set: ['route', 'vhost', 'config'].map((value) => ({ key: 'x-level', value, append: false })),
      remove: ['x-config'],
    });
  });
});
