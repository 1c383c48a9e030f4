import { describe, expect, it } from 'vitest';

import { ClusterLoadAssignmentType } from './cluster-load-assignment.js';
import { ClusterType } from './cluster.js';
import { ListenerType } from './listener.js';
import type { XdsResourceType } from './resource-type.js';
import { RouteConfigurationType } from './route-configuration.js';
import { SecretType } from './secret.js';
import { formatIssues } from './validation.js';

const ADS = { ads: {}, resource_api_version: 'V3' };
const ROUTER = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};
const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

const goodRoute = {
  name: '9080',
  virtual_hosts: [
    {
      name: 'reviews.default.svc.cluster.local:9080',
      domains: ['reviews', 'reviews.default.svc.cluster.local'],
      routes: [
        { match: { prefix: '/' }, route: { cluster: 'outbound|9080||reviews.default.svc.cluster.local' } },
      ],
    },
  ],
};

const goodListener = {
  name: '0.0.0.0_9080',
  address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HCM,
            stat_prefix: 'outbound_0.0.0.0_9080',
            rds: { route_config_name: '9080', config_source: ADS },
            http_filters: [ROUTER],
          },
        },
      ],
    },
  ],
};

const goodCluster = {
  name: 'outbound|9080||reviews.default.svc.cluster.local',
  type: 'EDS',
  connect_timeout: { seconds: 10 },
  eds_cluster_config: { eds_config: ADS },
};

function tlsCluster(tlsParams: Record<string, unknown>): object {
  return {
    ...goodCluster,
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: { tls_params: tlsParams },
        sni: 'reviews.default.svc.cluster.local',
      },
    },
  };
}

function tlsListener(cipherSuites: string[]): object {
  return {
    ...goodListener,
    filter_chains: [
      {
        ...goodListener.filter_chains[0],
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
            common_tls_context: { tls_params: { cipher_suites: cipherSuites } },
            require_client_certificate: { value: true },
          },
        },
      },
    ],
  };
}

const goodAssignment = {
  cluster_name: 'outbound|9080||reviews.default.svc.cluster.local',
  endpoints: [
    {
      lb_endpoints: [
        { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 9080 } } } },
      ],
    },
  ],
};

const goodSecret = {
  name: 'default',
  tls_certificate: { certificate_chain: { inline_string: 'PEM' }, private_key: { inline_string: 'KEY' } },
};

/** [type, case name, resource, expected issues as `path: message` (empty: valid)]. */
const cases: [XdsResourceType, string, object, string[]][] = [
  [RouteConfigurationType, 'valid route configuration', goodRoute, []],
  [
    RouteConfigurationType,
    'route with two path specifiers and no action',
    {
      name: 'r',
      virtual_hosts: [{ name: 'reviews', domains: ['*'], routes: [{ match: { prefix: '/', path: '/x' } }] }],
    },
    [
      'virtual_hosts[reviews].routes[0].match: exactly one path specifier (prefix, path, safe_regex, ...) is required',
      'virtual_hosts[reviews].routes[0]: exactly one action (route, redirect, direct_response, ...) is required',
    ],
  ],
  [
    RouteConfigurationType,
    'bad regex, empty header name, zero weights',
    {
      name: 'r',
      virtual_hosts: [
        {
          name: 'reviews',
          domains: ['a'],
          routes: [
            {
              name: 'canary',
              match: { safe_regex: { regex: '(' }, headers: [{ string_match: { exact: 'x' } }] },
              route: { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 0 } }] } },
            },
          ],
        },
      ],
    },
    [
      expect.stringMatching(
        /^virtual_hosts\[reviews\]\.routes\[canary\]\.match\.safe_regex\.regex: invalid regex/,
      ),
      'virtual_hosts[reviews].routes[canary].match.headers[0].name: header name is required',
      'virtual_hosts[reviews].routes[canary].route.weighted_clusters: the sum of weights must be greater than zero',
    ] as never,
  ],
  [
    RouteConfigurationType,
    'duplicate virtual hosts and domains, missing name',
    { virtual_hosts: [{ name: 'a', domains: ['x'] }, { name: 'a', domains: ['X'] }, { name: 'b' }] },
    [
      'name: route configuration name is required',
      'virtual_hosts: duplicate virtual host name "a"',
      'virtual_hosts[a].domains: domain "X" is also used by virtual host "a"',
      'virtual_hosts[b].domains: at least one domain is required',
    ],
  ],
  [
    RouteConfigurationType,
    'direct response status and negative timeout',
    {
      name: 'r',
      virtual_hosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            { match: { path: 'no-slash' }, direct_response: { status: 99 } },
            { match: { prefix: '/' }, route: { cluster: 'c', timeout: { seconds: -1 } } },
          ],
        },
      ],
    },
    [
      'virtual_hosts[v].routes[0].match.path: path must start with "/"',
      'virtual_hosts[v].routes[0].direct_response.status: status 99 must be in [200, 600)',
      'virtual_hosts[v].routes[1].route.timeout: duration must be non-negative with nanos in [0, 999999999]',
    ],
  ],
  [ListenerType, 'valid listener', goodListener, []],
  [
    ListenerType,
    'listener without address, chains or name',
    { address: { socket_address: { address: '', port_value: 70000 } } },
    [
      'name: listener name is required',
      'address.socket_address.address: must be a non-empty IP address or hostname',
      'address.socket_address.port_value: port 70000 is out of range [0, 65535]',
      'filter_chains: at least one filter chain is required',
    ],
  ],
  [
    ListenerType,
    'HCM without router last, with two route specifiers',
    {
      name: 'l',
      address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
      filter_chains: [
        {
          name: 'http',
          filters: [
            {
              name: 'hcm',
              typed_config: {
                '@type': HCM,
                rds: { route_config_name: '', config_source: ADS },
                route_config: goodRoute,
                http_filters: [],
              },
            },
          ],
        },
      ],
    },
    [
      'filter_chains[http].filters[hcm].typed_config.stat_prefix: stat_prefix is required',
      'filter_chains[http].filters[hcm].typed_config: exactly one of rds, route_config or scoped_routes is required',
      'filter_chains[http].filters[hcm].typed_config.http_filters: the last HTTP filter must be the router (envoy.filters.http.router)',
    ],
  ],
  [
    ListenerType,
    'inline route config is validated in place, API listener',
    {
      name: 'echo:1',
      api_listener: {
        api_listener: {
          '@type': HCM,
          stat_prefix: 's',
          route_config: {
            virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '' } }] }],
          },
          http_filters: [ROUTER],
        },
      },
    },
    [
      'api_listener.api_listener.route_config.virtual_hosts[v].routes[0]: exactly one action (route, redirect, direct_response, ...) is required',
    ],
  ],
  [ClusterType, 'valid cluster', goodCluster, []],
  [
    ClusterType,
    'EDS cluster without eds config, zero timeout, duplicate thresholds',
    {
      name: 'c',
      type: 'EDS',
      connect_timeout: {},
      circuit_breakers: { thresholds: [{}, { priority: 'DEFAULT' }] },
    },
    [
      'eds_cluster_config: eds_cluster_config is required for an EDS cluster',
      'connect_timeout: duration must be greater than zero',
      'circuit_breakers.thresholds[1]: duplicate thresholds for priority DEFAULT',
    ],
  ],
  [
    ClusterType,
    'static cluster with bad inline endpoint and unnamed transport socket match',
    {
      name: 's',
      type: 'STATIC',
      load_assignment: {
        endpoints: [
          { lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1' } } } }] },
        ],
      },
      transport_socket_matches: [{ match: {} }],
    },
    [
      'load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: port_value is required',
      'transport_socket_matches[0].name: match name is required',
      'transport_socket_matches[0].transport_socket: transport_socket is required',
    ],
  ],
  [ClusterLoadAssignmentType, 'valid endpoints', goodAssignment, []],
  [
    ClusterLoadAssignmentType,
    'zero weights and missing endpoint',
    { endpoints: [{ load_balancing_weight: { value: 0 }, lb_endpoints: [{}] }] },
    [
      'cluster_name: cluster_name is required',
      'endpoints[0].load_balancing_weight: load_balancing_weight must be at least 1',
      'endpoints[0].lb_endpoints[0].endpoint: endpoint or endpoint_name is required',
    ],
  ],
  [
    ClusterType,
    'cluster originating TLS with Istio’s parameters',
    tlsCluster({
      tls_minimum_protocol_version: 'TLSv1_2',
      tls_maximum_protocol_version: 'TLSv1_3',
      cipher_suites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]', 'AES256-GCM-SHA384'],
      ecdh_curves: ['X25519', 'P-256'],
    }),
    [],
  ],
  [
    ClusterType,
    'cluster with an unknown cipher suite and curve, and versions the wrong way round',
    tlsCluster({
      tls_minimum_protocol_version: 'TLSv1_3',
      tls_maximum_protocol_version: 'TLSv1_2',
      cipher_suites: ['AES256-GCM-SHA384', 'TLS_AES_128_GCM_SHA256'],
      ecdh_curves: ['prime256v1'],
    }),
    [
      'transport_socket.typed_config.common_tls_context.tls_params.tls_minimum_protocol_version: minimum TLSv1_3 is above the maximum TLSv1_2',
      'transport_socket.typed_config.common_tls_context.tls_params.cipher_suites[1]: unknown cipher suite "TLS_AES_128_GCM_SHA256" (TLS 1.2 suites by OpenSSL name, e.g. ECDHE-ECDSA-AES256-GCM-SHA384)',
      'transport_socket.typed_config.common_tls_context.tls_params.ecdh_curves[0]: unknown ECDH curve "prime256v1" (e.g. X25519, P-256)',
    ],
  ],
  [
    ListenerType,
    'listener terminating TLS with seed 004’s cipher list',
    tlsListener(['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'AES128-GCM-SHA256']),
    [],
  ],
  [
    ListenerType,
    'listener terminating TLS with an unknown cipher suite',
    tlsListener(['ECDHE-ECDSA-AES256-GCM-SHA384', 'NOPE']),
    [
      'filter_chains[0].transport_socket.typed_config.common_tls_context.tls_params.cipher_suites[1]: unknown cipher suite "NOPE" (TLS 1.2 suites by OpenSSL name, e.g. ECDHE-ECDSA-AES256-GCM-SHA384)',
    ],
  ],
  [SecretType, 'valid secret', goodSecret, []],
  [
    SecretType,
    'secret with no kind',
    { name: 'ROOTCA' },
    ['exactly one of tls_certificate, session_ticket_keys, validation_context, generic_secret is required'],
  ],
  [
    SecretType,
    'certificate without key',
    { name: 'default', tls_certificate: { certificate_chain: { inline_string: 'x' } } },
    ['tls_certificate.private_key: data source is required'],
  ],
];

describe('xDS resource validation', () => {
  it.each(
    cases.map(
      ([type, name, resource, expected]) => [type.shortName, name, type, resource, expected] as const,
    ),
  )('%s: %s', (_short, _name, type, resource, expected) => {
    const issues = type.validate(resource).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    expect(issues).toEqual(expected);
  });

  it.each(
    cases
      .filter(([, , , expected]) => expected.length === 0)
      .map(([type, name, resource]) => [type.shortName, name, type, resource] as const),
  )('%s: %s survives the wire unchanged and still validates', (_short, _name, type, resource) => {
    const decoded = type.decode(type.encode(resource));
    expect(type.validate(decoded)).toEqual([]);
    expect(type.nameOf(decoded)).toBe(type.nameOf(resource));
  });

  it('formats issues one after another', () => {
    expect(
      formatIssues([
        { path: 'a.b', message: 'x' },
        { path: '', message: 'y' },
      ]),
    ).toBe('a.b: x; y');
  });
});
