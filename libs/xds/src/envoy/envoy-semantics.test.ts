import { describe, expect, it } from 'vitest';

import type { EnvoyFilterChain, EnvoyRouteConfiguration } from './envoy-resources.js';
import { downstreamTlsOf } from './filter-chains.js';
import { filterConfig, filterConfigs, KNOWN_FILTERS, knownFilterOf } from './known-filters.js';
import { DomainIndex } from './route-matching.js';
import { compiledRouteTable } from './route-table.js';
import { ClusterChoice } from './weighted-clusters.js';

/** The pieces of Envoy's data-plane semantics the proxy and the simulation share. */

describe('filters are found by their config type, not their instance name', () => {
  const rbac = (name: string, action: string) => ({
    name,
    typed_config: { '@type': KNOWN_FILTERS.httpRbac.type, rules: { action } },
  });
  const filters = [
    rbac('envoy.filters.http.rbac.deny', 'DENY'),
    { name: KNOWN_FILTERS.httpRbac.name, typed_config: { '@type': 'type.googleapis.com/some.Other' } },
    rbac('envoy.filters.http.rbac.allow', 'ALLOW'),
  ];

  it('takes every filter of a kind, in order, whatever its name', () => {
    expect(filterConfigs(filters, KNOWN_FILTERS.httpRbac).map((c) => c['rules'])).toEqual([
      { action: 'DENY' },
      { action: 'ALLOW' },
    ]);
    expect(filterConfig(filters, KNOWN_FILTERS.httpRbac)?.['rules']).toEqual({ action: 'DENY' });
    expect(filterConfig(filters, KNOWN_FILTERS.tcpProxy)).toBeUndefined();
  });

  it('knows a type only at its own level', () => {
    expect(knownFilterOf(KNOWN_FILTERS.router.type, 'http')).toBe(KNOWN_FILTERS.router);
    expect(knownFilterOf(KNOWN_FILTERS.router.type, 'network')).toBeUndefined();
    expect(knownFilterOf(undefined, 'network')).toBeUndefined();
  });
});

describe('downstream TLS of a filter chain', () => {
  const chain = (transport_socket?: EnvoyFilterChain['transport_socket']): EnvoyFilterChain => ({
    filters: [],
    ...(transport_socket ? { transport_socket } : {}),
  });
  const tls = (typed_config: Record<string, unknown>) => ({
    name: 'envoy.transport_sockets.tls',
    typed_config,
  });

  it('terminates only with a TLS socket, requiring a client certificate when the context says so', () => {
    expect(downstreamTlsOf(chain())).toBeUndefined();
    expect(downstreamTlsOf(chain({ name: 'envoy.transport_sockets.raw_buffer' }))).toBeUndefined();
    expect(downstreamTlsOf(chain(tls({})))?.requireClientCertificate).toBe(false);
    const strict = tls({ require_client_certificate: { value: true } });
    expect(downstreamTlsOf(chain(strict))).toEqual({ socket: strict, requireClientCertificate: true });
  });
});

describe('weighted cluster choice', () => {
  const choice = ClusterChoice.weighted([
    { name: 'off', weight: 0 },
    { name: 'a', weight: 30 },
    { name: 'b', weight: 70 },
  ]);

  it.each([
    [0, 'a'],
    [0.2999, 'a'],
    [0.3, 'b'],
    [0.9999, 'b'],
  ])('random %f → %s (a weight of 0 is never chosen)', (random, name) => {
    expect(choice.pick(() => random)?.name).toBe(name);
  });

  it('reports weights only for a weighted choice, and a single cluster needs no random draw', () => {
    expect(choice.clusters()).toEqual([
      { name: 'off', weight: 0 },
      { name: 'a', weight: 30 },
      { name: 'b', weight: 70 },
    ]);
    const single = ClusterChoice.single({ name: 'only' });
    expect(single.clusters()).toEqual([{ name: 'only' }]);
    expect(single.pick(() => Number.NaN)?.name).toBe('only');
  });
});

describe('virtual host by domain', () => {
  const index = new DomainIndex([
    { domains: ['*'], value: 'any' },
    { domains: ['*.example.com', 'api.*'], value: 'first-wildcards' },
    { domains: ['*.api.example.com'], value: 'longer-suffix' },
    { domains: ['*.other.com', 'API.example.com'], value: 'exact' },
    { domains: ['*.example.com'], value: 'later-same-suffix' },
  ]);

  it.each([
    ['api.example.com', 'exact'],
    ['Api.Example.Com', 'exact'],
    ['v1.api.example.com', 'longer-suffix'],
    ['www.example.com', 'first-wildcards'],
    ['api.internal', 'first-wildcards'],
    ['.example.com', 'any'],
    ['elsewhere', 'any'],
  ])('%s → %s', (host, value) => {
    expect(index.lookup(host)).toBe(value);
  });
});

describe('route tables', () => {
  it('are compiled once per route configuration object', () => {
    const config: EnvoyRouteConfiguration = { name: '80', virtual_hosts: [{ name: 'web', domains: ['*'] }] };
    expect(compiledRouteTable(config)).toBe(compiledRouteTable(config));
    expect(compiledRouteTable(structuredClone(config))).not.toBe(compiledRouteTable(config));
  });
});
