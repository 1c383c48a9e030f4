import { compiledRouteTable, headerValues, type EnvoyRoute, type EnvoyRouteConfiguration } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { decideRoute, type RouteDecision } from '../../src/http/route-decision.js';
import { goldenRouteConfig } from './golden-xds.js';

/** Which virtual host, route and cluster a request gets, and the timeout, retries and fault it carries. */

const request = (authority: string, path = '/', headers: Record<string, string> = {}) =>
  headerValues({ ':method': 'GET', ':scheme': 'http', ':authority': authority, ':path': path, ...headers });

function forward(decision: RouteDecision): Extract<RouteDecision, { kind: 'forward' }> {
  if (decision.kind !== 'forward') throw new Error(`expected a forward, got ${JSON.stringify(decision)}`);
  return decision;
}

const vhost = (name: string, domains: string[], routes: EnvoyRoute[] = [catchAll(name)]) => ({
  name,
  domains,
  routes,
});
function catchAll(cluster: string, action: Record<string, unknown> = {}): EnvoyRoute {
  return { name: cluster, match: { prefix: '/' }, route: { cluster, ...action } } as EnvoyRoute;
}

const REVIEWS = 'reviews.default.svc.cluster.local:9080';
const canary = goldenRouteConfig('canary-header', '9080');
const resilience = goldenRouteConfig('resilience', '9080');
const ISTIO_RETRY_ON = [
  'connect-failure',
  'refused-stream',
  'unavailable',
  'cancelled',
  'retriable-status-codes',
];

describe('decideRoute: virtual host by Host', () => {
  it.each([
    ['reviews', REVIEWS],
    ['reviews:9080', REVIEWS],
    ['reviews.default.svc.cluster.local:9080', REVIEWS],
    ['Reviews.Default:9080', REVIEWS],
    ['10.0.0.1:9080', REVIEWS],
    ['productpage.default.svc', 'productpage.default.svc.cluster.local:9080'],
    ['reviews:9081', 'allow_any'],
    ['example.com', 'allow_any'],
  ])('istiod routes: Host %s → virtual host %s', (host, name) => {
    expect(forward(decideRoute(compiledRouteTable(canary), request(host), () => 0)).virtualHost).toBe(name);
  });

  it('sends unknown hosts to PassthroughCluster with no retries and no timeout', () => {
    const decision = forward(decideRoute(compiledRouteTable(canary), request('example.com', '/x')));
    expect(decision).toMatchObject({ route: 'allow_any', cluster: 'PassthroughCluster', timeoutMs: 0 });
    expect(decision.retry).toBeUndefined();
  });

  const wildcards: EnvoyRouteConfiguration = {
    name: '80',
    virtual_hosts: [
      vhost('any', ['*']),
      vhost('suffix', ['*.example.com']),
      vhost('longer-suffix', ['*.api.example.com']),
      vhost('prefix', ['api.*']),
      vhost('exact', ['api.example.com']),
    ],
  };
  it.each([
    ['api.example.com', 'exact'],
    ['www.example.com', 'suffix'],
    ['v1.api.example.com', 'longer-suffix'],
    ['api.internal', 'prefix'],
    ['api.example.com:80', 'prefix'],
    ['example.com', 'any'],
  ])('wildcard domains: Host %s → %s', (host, name) => {
    expect(forward(decideRoute(compiledRouteTable(wildcards), request(host))).cluster).toBe(name);
  });

  it('is no-route without a matching virtual host, and names the virtual host without a route', () => {
    const noCatchAll = { name: '80', virtual_hosts: [vhost('web', ['web'])] };
    expect(decideRoute(compiledRouteTable(noCatchAll), request('other'))).toEqual({ kind: 'no-route' });
    const onlyApi = { name: '80', virtual_hosts: [vhost('web', ['web'], [catchAll('api')])] };
    onlyApi.virtual_hosts[0]!.routes[0]!.match = { prefix: '/api' };
    expect(decideRoute(compiledRouteTable(onlyApi), request('web', '/other'))).toEqual({
      kind: 'no-route',
      virtualHost: 'web',
    });
  });
});

describe('decideRoute: first matching route and weighted clusters', () => {
  const v = (subset: string) => `outbound|9080|${subset}|reviews.default.svc.cluster.local`;

  it.each([
    ['jason', 0.95, 'jason', v('v2')],
    ['bob', 0.1, 'canary', v('v1')],
    ['bob', 0.8999, 'canary', v('v1')],
    ['bob', 0.9, 'canary', v('v3')],
    ['bob', 0.95, 'canary', v('v3')],
  ])('end-user %s, random %f → route %s, cluster %s', (user, random, route, cluster) => {
    const decision = forward(
      decideRoute(
        compiledRouteTable(canary),
        request('reviews:9080', '/', { 'end-user': user }),
        () => random,
      ),
    );
    expect([decision.route, decision.cluster]).toEqual([route, cluster]);
  });

  it('never picks a cluster of weight 0', () => {
    const weighted = catchAll('unused');
    weighted.route = {
      weighted_clusters: {
        clusters: [
          { name: 'off', weight: { value: 0 } },
          { name: 'on', weight: { value: 100 } },
        ],
      },
    };
    const config = { name: '80', virtual_hosts: [vhost('web', ['*'], [weighted])] };
    for (const random of [0, 0.5, 0.999])
      expect(forward(decideRoute(compiledRouteTable(config), request('web'), () => random)).cluster).toBe(
        'on',
      );
  });
});

describe('decideRoute: timeout and retries', () => {
  it.each([
    ['istio default (0s)', canary, request('reviews'), 0],
    ['10s', resilience, request('ratings', '/slow'), 10_000],
    ['1.5s', resilience, request('ratings', '/'), 1_500],
    ['absent', { name: '80', virtual_hosts: [vhost('web', ['*'])] }, request('web'), 15_000],
  ])('timeout %s → %i ms', (_label, config, headers, timeoutMs) => {
    expect(forward(decideRoute(compiledRouteTable(config), headers, () => 0)).timeoutMs).toBe(timeoutMs);
  });

  it("parses Istio's default retry policy", () => {
    const { retry } = forward(decideRoute(compiledRouteTable(canary), request('reviews'), () => 0));
    expect(retry).toEqual({
      retryOn: new Set(ISTIO_RETRY_ON),
      numRetries: 2,
      retriableStatusCodes: new Set([503]),
    });
  });

  it('parses a VirtualService retry policy with per-try timeout and status codes', () => {
    const { retry } = forward(decideRoute(compiledRouteTable(resilience), request('ratings', '/slow')));
    expect(retry).toEqual({
      retryOn: new Set(['gateway-error', 'connect-failure', 'retriable-status-codes']),
      numRetries: 3,
      retriableStatusCodes: new Set([503, 425]),
      perTryTimeoutMs: 2_500,
    });
  });

  it('has no retry policy when the VirtualService disables retries (attempts: 0)', () => {
    const decision = forward(
      decideRoute(compiledRouteTable(resilience), request('ratings', '/', { 'x-chaos': 'grpc' })),
    );
    expect(decision.route).toBe('grpc-abort');
    expect(decision.retry).toBeUndefined();
  });

  it("retries once by default, and falls back to the virtual host's policy", () => {
    const vhostPolicy = { retry_on: '5xx' };
    const routePolicy = { retry_on: 'reset' };
    const config = {
      name: '80',
      virtual_hosts: [
        {
          ...vhost(
            'web',
            ['*'],
            [
              { ...catchAll('own', { retry_policy: routePolicy }), match: { prefix: '/own' } } as EnvoyRoute,
              catchAll('inherited'),
            ],
          ),
          retry_policy: vhostPolicy,
        },
      ],
    };
    expect(forward(decideRoute(compiledRouteTable(config), request('web', '/own'))).retry).toMatchObject({
      retryOn: new Set(['reset']),
      numRetries: 1,
    });
    expect(forward(decideRoute(compiledRouteTable(config), request('web', '/'))).retry?.retryOn).toEqual(
      new Set(['5xx']),
    );
  });
});

describe('decideRoute: fault injection', () => {
  it.each([
    [
      'on',
      'faulty',
      { delayMs: 7_000, delayFraction: 0.125, abortStatus: 500, abortFraction: 0.5 }, // MILLION
    ],
    ['grpc', 'grpc-abort', { delayMs: 100, delayFraction: 0.05, abortGrpcStatus: 14 }], // HUNDRED
  ])('x-chaos: %s → route %s with %o', (chaos, route, fault) => {
    const decision = forward(
      decideRoute(compiledRouteTable(resilience), request('ratings', '/', { 'x-chaos': chaos })),
    );
    expect(decision.route).toBe(route);
    expect(decision.fault).toMatchObject(fault);
  });

  it('reads TEN_THOUSAND and leaves the abort out of a delay-only fault', () => {
    const route = catchAll('web');
    Object.assign(route, {
      typed_per_filter_config: {
        'envoy.filters.http.fault': {
          delay: { fixed_delay: { seconds: 2 }, percentage: { numerator: 25, denominator: 'TEN_THOUSAND' } },
        },
      },
    });
    const config = { name: '80', virtual_hosts: [vhost('web', ['*'], [route])] };
    expect(forward(decideRoute(compiledRouteTable(config), request('web'))).fault).toEqual({
      delayMs: 2_000,
      delayFraction: 0.0025,
      abortFraction: 0,
    });
  });

  it('has no fault on routes without one', () => {
    expect(
      forward(decideRoute(compiledRouteTable(resilience), request('ratings', '/slow'))).fault,
    ).toBeUndefined();
  });
});
