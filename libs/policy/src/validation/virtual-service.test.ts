import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const to = (host: string, extra: Record<string, unknown> = {}) => ({ destination: { host, ...extra } });
const simple = (http: Record<string, unknown>) => ({
  hosts: ['reviews'],
  http: [{ route: [to('reviews')], ...http }],
});

const hostsAndRules: ValidationCase[] = [
  { name: 'a short host with one route is valid', kind: 'VirtualService', spec: simple({}), expect: [] },
  {
    name: 'FQDN, wildcard and IP hosts are valid',
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews.default.svc.cluster.local', '*.example.com', '10.0.0.1'],
      http: [{ route: [to('reviews')] }],
    },
    expect: [],
  },
  {
    name: 'a wildcard in the middle of a host is invalid',
    kind: 'VirtualService',
    spec: { hosts: ['foo.*.example.com'], http: [{ route: [to('reviews')] }] },
    expect: ['E HOST_INVALID spec.hosts[0]'],
  },
  {
    name: 'an all-numeric top-level domain is invalid',
    kind: 'VirtualService',
    spec: { hosts: ['example.123'], http: [{ route: [to('reviews')] }] },
    expect: ['E HOST_INVALID spec.hosts[0]'],
  },
  {
    name: 'host * is not allowed for the mesh gateway',
    kind: 'VirtualService',
    spec: { hosts: ['*'], http: [{ route: [to('reviews')] }] },
    expect: ['E HOST_INVALID spec.hosts[0]'],
    messages: ['wildcard host * is not allowed for virtual services bound to the mesh gateway'],
  },
  {
    name: 'host * is allowed on a gateway',
    kind: 'VirtualService',
    spec: { hosts: ['*'], gateways: ['istio-system/ingress'], http: [{ route: [to('reviews')] }] },
    expect: [],
  },
  {
    name: 'overlapping hosts are duplicates',
    kind: 'VirtualService',
    spec: { hosts: ['*.example.com', 'api.example.com'], http: [{ route: [to('reviews')] }] },
    expect: ['E HOST_INVALID spec.hosts[1]'],
  },
  {
    name: 'a VirtualService needs http, tcp or tls rules',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'] },
    expect: ['E ROUTE_INVALID spec'],
  },
  {
    name: 'a delegate VirtualService cannot name gateways',
    kind: 'VirtualService',
    spec: { gateways: ['istio-system/ingress'], http: [{ route: [to('reviews')] }] },
    expect: ['E ROUTE_INVALID spec.gateways'],
  },
  {
    name: 'a delegate VirtualService cannot route TCP',
    kind: 'VirtualService',
    spec: { tcp: [{ route: [to('db')] }] },
    expect: ['E ROUTE_INVALID spec.tcp'],
  },
  {
    name: 'gateway names in namespace/name form are valid',
    kind: 'VirtualService',
    spec: {
      hosts: ['bookinfo.example.com'],
      gateways: ['mesh', 'istio-system/bookinfo-gateway'],
      http: [{ route: [to('productpage')] }],
    },
    expect: [],
  },
  {
    name: 'a legacy name.namespace gateway reference is a warning',
    kind: 'VirtualService',
    spec: {
      hosts: ['bookinfo.example.com'],
      gateways: ['bookinfo-gateway.istio-system'],
      http: [{ route: [to('productpage')] }],
    },
    expect: ['W GATEWAY_REF_INVALID spec.gateways[0]'],
  },
  {
    name: 'an empty gateway namespace is invalid',
    kind: 'VirtualService',
    spec: {
      hosts: ['bookinfo.example.com'],
      gateways: ['/bookinfo-gateway'],
      http: [{ route: [to('productpage')] }],
    },
    expect: ['E GATEWAY_REF_INVALID spec.gateways[0]'],
  },
  {
    name: 'a duplicate exportTo entry is invalid',
    kind: 'VirtualService',
    spec: { ...simple({}), exportTo: ['.', 'default'] },
    expect: ['E EXPORT_TO_INVALID spec.exportTo[1]'],
  },
  {
    name: '* cannot be combined with other exportTo entries',
    kind: 'VirtualService',
    spec: { ...simple({}), exportTo: ['*', 'other'] },
    expect: ['E EXPORT_TO_INVALID spec.exportTo'],
  },
  {
    name: 'a rule after a catch-all rule is unreachable',
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews'],
      http: [{ route: [to('reviews')] }, { match: [{ uri: { prefix: '/x' } }], route: [to('reviews')] }],
    },
    expect: ['W RULE_UNREACHABLE spec.http[1]'],
  },
  {
    name: 'a duplicate match makes a rule unreachable',
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews'],
      http: [
        { match: [{ uri: { prefix: '/a' } }], route: [to('reviews')] },
        { match: [{ name: 'again', uri: { prefix: '/a' } }], route: [to('ratings')] },
      ],
    },
    expect: ['W MATCH_INEFFECTIVE spec.http[1].match[0]', 'W RULE_UNREACHABLE spec.http[1]'],
  },
];

/**
 * Istio: pkg/config/validation/virtualservice.go `validateHTTPRouteDestinations` and
 * `validateTCPRoute`: `validateWeight` refuses a negative weight, and several destinations whose weights
 * total 0 are refused; any other total is accepted (weights are relative shares).
 */
const weights: ValidationCase[] = [
  {
    name: 'weights summing to 100 are valid',
    kind: 'VirtualService',
    spec: simple({
      route: [
        { ...to('reviews', { subset: 'v1' }), weight: 75 },
        { ...to('reviews', { subset: 'v2' }), weight: 25 },
      ],
    }),
    expect: [],
  },
  {
    name: 'weights not summing to 100 are valid (relative shares)',
    kind: 'VirtualService',
    spec: simple({
      route: [
        { ...to('reviews', { subset: 'v1' }), weight: 50 },
        { ...to('reviews', { subset: 'v2' }), weight: 30 },
      ],
    }),
    expect: [],
  },
  {
    name: 'a weight above 100 is valid',
    kind: 'VirtualService',
    spec: simple({
      route: [
        { ...to('reviews', { subset: 'v1' }), weight: 150 },
        { ...to('reviews', { subset: 'v2' }), weight: 0 },
      ],
    }),
    expect: [],
  },
  {
    name: 'all-zero weights over several destinations are invalid',
    kind: 'VirtualService',
    spec: simple({ route: [to('reviews', { subset: 'v1' }), to('reviews', { subset: 'v2' })] }),
    expect: ['E WEIGHT_INVALID spec.http[0].route'],
  },
  {
    name: 'a negative weight is invalid',
    kind: 'VirtualService',
    spec: simple({
      route: [
        { ...to('reviews', { subset: 'v1' }), weight: -10 },
        { ...to('reviews', { subset: 'v2' }), weight: 110 },
      ],
    }),
    expect: ['E WEIGHT_INVALID spec.http[0].route[0].weight'],
  },
  {
    name: 'a single destination may omit its weight',
    kind: 'VirtualService',
    spec: simple({ route: [to('reviews', { subset: 'v1' })] }),
    expect: [],
  },
  {
    name: 'TCP route weights follow the same rules',
    kind: 'VirtualService',
    spec: {
      hosts: ['db'],
      tcp: [
        {
          route: [
            { ...to('db', { subset: 'a' }), weight: 0 },
            { ...to('db', { subset: 'b' }), weight: 0 },
          ],
        },
      ],
    },
    expect: ['E WEIGHT_INVALID spec.tcp[0].route'],
    messages: ['total destination weight = 0'],
  },
  {
    name: 'destination host * is invalid',
    kind: 'VirtualService',
    spec: simple({ route: [to('*')] }),
    expect: ['E DESTINATION_INVALID spec.http[0].route[0].destination.host'],
  },
  {
    name: 'a subset name must be a DNS label',
    kind: 'VirtualService',
    spec: simple({ route: [to('reviews', { subset: 'v1.0' })] }),
    expect: ['E DESTINATION_INVALID spec.http[0].route[0].destination.subset'],
  },
  {
    name: 'a destination port must be within 1-65535',
    kind: 'VirtualService',
    spec: simple({ route: [to('reviews', { port: { number: 70000 } })] }),
    expect: ['E PORT_INVALID spec.http[0].route[0].destination.port.number'],
  },
];

const tlsAndTcp: ValidationCase[] = [
  {
    name: 'a TLS route with SNI hosts inside the VirtualService hosts is valid',
    kind: 'VirtualService',
    spec: {
      hosts: ['*.example.com'],
      tls: [{ match: [{ port: 443, sniHosts: ['login.example.com'] }], route: [to('login')] }],
    },
    expect: [],
  },
  {
    name: 'an SNI host outside the VirtualService hosts is invalid',
    kind: 'VirtualService',
    spec: {
      hosts: ['*.example.com'],
      tls: [{ match: [{ sniHosts: ['login.other.org'] }], route: [to('login')] }],
    },
    expect: ['E HOST_INVALID spec.tls[0].match[0].sniHosts[0]'],
  },
  {
    name: 'a TLS route needs a match (schema)',
    kind: 'VirtualService',
    spec: { hosts: ['a.example.com'], tls: [{ route: [to('login')] }] },
    expect: ['E SCHEMA_REQUIRED spec.tls[0].match'],
  },
  {
    name: 'a TLS route needs a route',
    kind: 'VirtualService',
    spec: { hosts: ['a.example.com'], tls: [{ match: [{ sniHosts: ['a.example.com'] }] }] },
    expect: ['E ROUTE_INVALID spec.tls[0].route'],
  },
  {
    name: 'a TCP destination subnet must be an IP or CIDR',
    kind: 'VirtualService',
    spec: { hosts: ['db'], tcp: [{ match: [{ destinationSubnets: ['10.0.0.0/33'] }], route: [to('db')] }] },
    expect: ['E ADDRESS_INVALID spec.tcp[0].match[0].destinationSubnets[0]'],
  },
];

describe('VirtualService validation', () => {
  describe('hosts, gateways and rules', () => runCases(hostsAndRules));
  describe('destinations and weights', () => runCases(weights));
  describe('TLS and TCP routes', () => runCases(tlsAndTcp));
});
