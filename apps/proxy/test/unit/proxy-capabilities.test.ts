import { TypeUrl, type ResourceUpdate } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { proxyCapabilityErrors } from '../../src/xds/proxy-capabilities.js';
import { goldenCases, goldenClusters, goldenListeners, goldenRouteConfigs } from './golden-xds.js';

/** What the proxy NACKs before applying an update: each reason names the resource and the field. */

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- edits deep in xDS resources

function update(typeUrl: string, resources: readonly { name: string }[]): ResourceUpdate {
  return {
    typeUrl,
    version: '1',
    updated: resources.map((resource) => ({ name: resource.name, version: '1', resource })),
    removed: [],
  };
}

/** A deep copy of one resource of istiod's output, to break on purpose. */
const copy = (items: readonly { name: string }[], name: string) =>
  structuredClone(items.find((item) => item.name === name)) as Obj & { name: string };

const REGEX_REFUSED = 'RE2 has no lookaround or backreferences';

describe("proxyCapabilityErrors on istiod's output", () => {
  it.each(goldenCases('sidecar-listeners'))('accepts the listeners of %s', (testCase) => {
    expect(proxyCapabilityErrors(update(TypeUrl.Listener, goldenListeners(testCase)))).toEqual([]);
  });

  it.each(goldenCases('sidecar-clusters'))('accepts the clusters of %s', (testCase) => {
    expect(proxyCapabilityErrors(update(TypeUrl.Cluster, goldenClusters(testCase).clusters))).toEqual([]);
  });

  it.each(goldenCases('sidecar-routes'))('accepts the routes of %s', (testCase) => {
    const routes = goldenRouteConfigs(testCase);
    expect(proxyCapabilityErrors(update(TypeUrl.RouteConfiguration, routes))).toEqual([]);
  });
});

describe('proxyCapabilityErrors on what this proxy cannot run', () => {
  const listeners = goldenListeners('permissive-http-and-tcp');
  const REDIS = 'type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy';
  const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';

  it('names an unknown network filter by listener, chain and filter', () => {
    const mysql = copy(listeners, '10.96.0.20_3306');
    mysql['filter_chains'][0].filters[0] = {
      name: 'envoy.filters.network.redis_proxy',
      typed_config: { '@type': REDIS },
    };
    expect(proxyCapabilityErrors(update(TypeUrl.Listener, [mysql]))).toEqual([
      `Listener 10.96.0.20_3306: filter_chains[0].filters[0].typed_config: unsupported network filter envoy.filters.network.redis_proxy (${REDIS})`,
    ]);
  });

  it('names an unknown HTTP filter by its place in the connection manager', () => {
    const http = copy(listeners, '0.0.0.0_9080');
    http['filter_chains'][0].filters[0].typed_config.http_filters.splice(1, 0, {
      name: 'envoy.filters.http.lua',
      typed_config: { '@type': LUA },
    });
    expect(proxyCapabilityErrors(update(TypeUrl.Listener, [http]))).toEqual([
      `Listener 0.0.0.0_9080: filter_chains[0].filters[0].typed_config.http_filters[1].typed_config: unsupported HTTP filter envoy.filters.http.lua (${LUA})`,
    ]);
  });

  it('refuses a filter without a typed_config, and checks the default filter chain too', () => {
    const mysql = copy(listeners, '10.96.0.20_3306');
    mysql['default_filter_chain'] = { filters: [{ name: 'envoy.filters.network.echo' }] };
    expect(proxyCapabilityErrors(update(TypeUrl.Listener, [mysql]))).toEqual([
      'Listener 10.96.0.20_3306: default_filter_chain.filters[0].typed_config: unsupported network filter envoy.filters.network.echo ((no typed_config))',
    ]);
  });

  it('names a route regex RE2 would refuse', () => {
    const web = copy(goldenRouteConfigs('redirect-rewrite'), '80');
    const maintenance = web['virtual_hosts'][0].routes[3];
    expect(maintenance.name).toBe('maintenance');
    maintenance.match.safe_regex.regex = '/maint(?=x)';
    expect(proxyCapabilityErrors(update(TypeUrl.RouteConfiguration, [web]))).toEqual([
      `RouteConfiguration 80.virtual_hosts[0].routes[3].match.safe_regex.regex: regex "/maint(?=x)": ${REGEX_REFUSED}`,
    ]);
  });

  it('names a listener regex (an RBAC principal) RE2 would refuse', () => {
    const mysql = copy(listeners, '10.96.0.20_3306');
    const principal = { authenticated: { principal_name: { safe_regex: { regex: '(.*)/sa/\\1' } } } };
    mysql['filter_chains'][0].filters.unshift({
      name: 'envoy.filters.network.rbac',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
        rules: { policies: { p: { permissions: [{ any: true }], principals: [principal] } } },
      },
    });
    expect(proxyCapabilityErrors(update(TypeUrl.Listener, [mysql]))).toEqual([
      `Listener 10.96.0.20_3306.filter_chains[0].filters[0].typed_config.rules.policies.p.principals[0].authenticated.principal_name.safe_regex.regex: regex "(.*)/sa/\\\\1": ${REGEX_REFUSED}`,
    ]);
  });

  const clusters = goldenClusters('plain-auto-mtls').clusters;
  const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

  it.each([
    [
      'a custom cluster type',
      { type: undefined, cluster_type: { name: 'envoy.clusters.aggregate' } },
      `Cluster ${REVIEWS}: cluster_type: unsupported cluster type "envoy.clusters.aggregate"`,
    ],
    [
      'an lb_policy given as a typed policy',
      { lb_policy: 'LOAD_BALANCING_POLICY_CONFIG' },
      `Cluster ${REVIEWS}: lb_policy: unsupported load-balancing policy "LOAD_BALANCING_POLICY_CONFIG"`,
    ],
  ])('refuses %s', (_label, change, error) => {
    const reviews = { ...copy(clusters, REVIEWS), ...change };
    expect(proxyCapabilityErrors(update(TypeUrl.Cluster, [reviews]))).toEqual([error]);
  });

  it('collects every error of an update, one per problem', () => {
    const a = { ...copy(clusters, REVIEWS), name: 'a', lb_policy: 'LOAD_BALANCING_POLICY_CONFIG' };
    const b = { ...copy(clusters, 'BlackHoleCluster'), name: 'b' };
    const c = { ...copy(clusters, 'PassthroughCluster'), name: 'c', cluster_type: { name: 'x' } };
    const errors = proxyCapabilityErrors(update(TypeUrl.Cluster, [a, b, c]));
    expect(errors.map((e) => e.split(':')[0])).toEqual(['Cluster a', 'Cluster c']);
  });

  /**
   * The proxy compiles what it runs per request when it checks an update, so a route configuration
   * that passes every check but cannot be compiled is NACKed (the last good config stays) instead of
   * failing on every request that reaches it.
   */
  it('names a route configuration the proxy cannot compile', () => {
    const web = copy(goldenRouteConfigs('redirect-rewrite'), '80');
    web['virtual_hosts'][0].request_headers_to_add = [{ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }];
    const errors = proxyCapabilityErrors(update(TypeUrl.RouteConfiguration, [web]));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^RouteConfiguration 80: cannot be compiled: /);
  });

  it('names a listener whose inline routes the proxy cannot compile', () => {
    const inbound = copy(listeners, 'virtualInbound');
    const chain = inbound['filter_chains'].find((c: Obj) => c.name === '0.0.0.0_8080-plaintext');
    chain.filters.at(-1).typed_config.route_config.virtual_hosts[0].response_headers_to_add = [{}];
    expect(proxyCapabilityErrors(update(TypeUrl.Listener, [inbound]))).toEqual([
      expect.stringMatching(/^Listener virtualInbound: cannot be compiled: /),
    ]);
  });
});
