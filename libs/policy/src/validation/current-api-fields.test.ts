import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

/**
 * Fields of the current Istio CRDs (manifests/charts/base/files/crd-all.gen.yaml) that the schema once
 * refused as unknown. Valid in Istio, so valid here; where the mesh does not act on one, a NOT_APPLIED
 * warning says so at the field.
 */
const currentFields: ValidationCase[] = [
  {
    name: 'RequestAuthentication jwtRules.spaceDelimitedClaims',
    kind: 'RequestAuthentication',
    spec: {
      jwtRules: [{ issuer: 'https://example.com', spaceDelimitedClaims: ['custom_scope', 'roles'] }],
    },
    expect: [],
  },
  {
    name: 'RequestAuthentication spaceDelimitedClaims entries must not be empty',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'https://example.com', spaceDelimitedClaims: [''] }] },
    expect: ['E SCHEMA_RANGE spec.jwtRules[0].spaceDelimitedClaims[0]'],
  },
  {
    name: 'Telemetry tracing customTags formatter (not applied by the mesh)',
    kind: 'Telemetry',
    spec: { tracing: [{ customTags: { user: { formatter: { value: '%REQ(x-user)%' } } } }] },
    expect: ['W NOT_APPLIED spec.tracing[0].customTags.user.formatter'],
    messages: ['formatter custom tags are not applied'],
  },
  {
    name: 'a custom tag is one of literal, environment, header or formatter',
    kind: 'Telemetry',
    spec: {
      tracing: [{ customTags: { user: { literal: { value: 'a' }, formatter: { value: '%REQ(x)%' } } } }],
    },
    expect: [
      'E ONE_OF spec.tracing[0].customTags.user',
      'W NOT_APPLIED spec.tracing[0].customTags.user.formatter',
    ],
  },
  {
    name: 'DestinationRule connectionPool.http.http2KeepAlive (not applied by the mesh)',
    kind: 'DestinationRule',
    spec: {
      host: 'reviews',
      trafficPolicy: { connectionPool: { http: { http2KeepAlive: { interval: '30s', timeout: '5s' } } } },
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          trafficPolicy: { connectionPool: { http: { http2KeepAlive: { interval: '10s' } } } },
        },
      ],
    },
    expect: [
      'W NOT_APPLIED spec.trafficPolicy.connectionPool.http.http2KeepAlive',
      'W NOT_APPLIED spec.subsets[0].trafficPolicy.connectionPool.http.http2KeepAlive',
    ],
  },
  {
    name: 'VirtualService redirect.prefixRewrite (not applied by the mesh)',
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews'],
      http: [{ match: [{ uri: { prefix: '/old' } }], redirect: { prefixRewrite: '/new' } }],
    },
    expect: ['W NOT_APPLIED spec.http[0].redirect.prefixRewrite'],
  },
  {
    name: 'a redirect rewrites the whole path (uri) or its prefix (prefixRewrite), not both',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ redirect: { uri: '/a', prefixRewrite: '/b' } }] },
    expect: ['E ONE_OF spec.http[0].redirect', 'W NOT_APPLIED spec.http[0].redirect.prefixRewrite'],
  },
  {
    name: 'DestinationRule httpCookie.attributes (not applied by the mesh)',
    kind: 'DestinationRule',
    spec: {
      host: 'reviews',
      trafficPolicy: {
        loadBalancer: {
          consistentHash: {
            httpCookie: { name: 'user', ttl: '0s', attributes: [{ name: 'SameSite', value: 'Strict' }] },
          },
        },
      },
    },
    expect: ['W NOT_APPLIED spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes'],
  },
  {
    name: 'a cookie attribute has a name',
    kind: 'DestinationRule',
    spec: {
      host: 'reviews',
      trafficPolicy: {
        loadBalancer: { consistentHash: { httpCookie: { name: 'user', attributes: [{ value: 'Strict' }] } } },
      },
    },
    expect: [
      'E SCHEMA_REQUIRED spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[0].name',
    ],
  },
  {
    name: 'Gateway tls.caCertCredentialName (not applied by the mesh)',
    kind: 'Gateway',
    spec: {
      servers: [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ['*.example.com'],
          tls: { mode: 'MUTUAL', credentialName: 'server-cert', caCertCredentialName: 'client-ca' },
        },
      ],
    },
    expect: ['W NOT_APPLIED spec.servers[0].tls.caCertCredentialName'],
  },
  {
    name: 'RequestAuthentication jwtRules.presence REQUIRED (istio/api#3737; not applied by the mesh)',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'https://example.com', presence: 'REQUIRED' }] },
    expect: ['W NOT_APPLIED spec.jwtRules[0].presence'],
    messages: ['require it with an AuthorizationPolicy on requestPrincipals'],
  },
  {
    name: 'presence is OPTIONAL or REQUIRED',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'https://example.com', presence: 'MANDATORY' }] },
    expect: ['E SCHEMA_ENUM spec.jwtRules[0].presence'],
  },
  {
    name: 'EnvoyFilter MERGE_AND_REPLACE_LIST (istio/api#3724)',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'CLUSTER',
          match: { cluster: { service: 'reviews' } },
          patch: { operation: 'MERGE_AND_REPLACE_LIST', value: { circuit_breakers: { thresholds: [] } } },
        },
      ],
    },
    expect: ['W NOT_APPLIED '],
  },
  {
    name: "a targetRef's group and kind follow the CRD's patterns (Istio's reqauth-invalid.yaml)",
    kind: 'RequestAuthentication',
    spec: { targetRefs: [{ group: '__', kind: 'Serv_ice', name: 'foo' }] },
    expect: ['E SCHEMA_RANGE spec.targetRefs[0].group', 'E SCHEMA_RANGE spec.targetRefs[0].kind'],
  },
];

/** Bounds of Istio's CRDs the schema once lacked (found comparing the CRDs' maxLength/maxItems). */
const crdBounds: ValidationCase[] = [
  {
    name: 'a networking workloadSelector label value has at most 63 characters',
    kind: 'Sidecar',
    spec: { workloadSelector: { labels: { app: 'a'.repeat(64) } } },
    expect: ['E SCHEMA_RANGE spec.workloadSelector.labels.app'],
  },
  {
    name: 'a JWT rule names at most 64 space-delimited claims',
    kind: 'RequestAuthentication',
    spec: {
      jwtRules: [
        {
          issuer: 'https://example.com',
          spaceDelimitedClaims: Array.from({ length: 65 }, (_, i) => `c${i}`),
        },
      ],
    },
    expect: ['E SCHEMA_RANGE spec.jwtRules[0].spaceDelimitedClaims'],
  },
  {
    name: 'a ProxyConfig environment variable has at most 2048 characters',
    kind: 'ProxyConfig',
    spec: { environmentVariables: { A: 'x'.repeat(2049) } },
    expect: ['E SCHEMA_RANGE spec.environmentVariables.A'],
  },
];

describe('fields of the current Istio API', () => runCases(currentFields));
describe("bounds of Istio's CRDs", () => runCases(crdBounds));
