import { describe, expect, it } from 'vitest';

import {
  istioObject,
  runCases,
  summarize,
  type ValidationCase,
} from '../../test/support/validation-cases.js';
import { formatFinding } from './finding.js';
import { validateResource } from './validate-resource.js';

const telemetry: ValidationCase[] = [
  {
    name: 'access logging with the envoy provider is valid',
    kind: 'Telemetry',
    spec: {
      accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }],
    },
    expect: [],
  },
  {
    name: 'tracing at 10% sampling is valid',
    kind: 'Telemetry',
    spec: {
      tracing: [
        {
          providers: [{ name: 'zipkin' }],
          randomSamplingPercentage: 10,
          customTags: { env: { literal: { value: 'prod' } } },
        },
      ],
    },
    expect: [],
  },
  {
    name: 'a sampling percentage above 100 is rejected by the schema',
    kind: 'Telemetry',
    spec: { tracing: [{ randomSamplingPercentage: 101 }] },
    expect: ['E SCHEMA_RANGE spec.tracing[0].randomSamplingPercentage'],
  },
  {
    name: 'several tracing providers are not supported (warning)',
    kind: 'Telemetry',
    spec: { tracing: [{ providers: [{ name: 'zipkin' }, { name: 'otel' }] }] },
    expect: ['W TELEMETRY_INVALID spec.tracing[0].providers'],
  },
  {
    name: 'a custom tag has one source',
    kind: 'Telemetry',
    spec: { tracing: [{ customTags: { env: { literal: { value: 'x' }, header: { name: 'x-env' } } } }] },
    expect: ['E ONE_OF spec.tracing[0].customTags.env'],
  },
  {
    name: 'a metric override needs a value to UPSERT',
    kind: 'Telemetry',
    spec: {
      metrics: [
        {
          providers: [{ name: 'prometheus' }],
          overrides: [
            { match: { metric: 'REQUEST_COUNT' }, tagOverrides: { request_host: { operation: 'UPSERT' } } },
          ],
        },
      ],
    },
    expect: ['E TELEMETRY_INVALID spec.metrics[0].overrides[0].tagOverrides.request_host'],
  },
  {
    name: 'a REMOVE override takes no value',
    kind: 'Telemetry',
    spec: {
      metrics: [{ overrides: [{ tagOverrides: { source_principal: { operation: 'REMOVE', value: 'x' } } }] }],
    },
    expect: ['E TELEMETRY_INVALID spec.metrics[0].overrides[0].tagOverrides.source_principal.value'],
  },
  {
    name: 'an unknown standard metric is rejected by the schema',
    kind: 'Telemetry',
    spec: { metrics: [{ overrides: [{ match: { metric: 'REQUEST_TOTAL' }, disabled: true }] }] },
    expect: ['E SCHEMA_ENUM spec.metrics[0].overrides[0].match.metric'],
  },
  {
    name: 'a reporting interval must be a duration',
    kind: 'Telemetry',
    spec: { metrics: [{ reportingInterval: '0s' }] },
    expect: ['E DURATION_INVALID spec.metrics[0].reportingInterval'],
  },
  {
    name: 'provider names must not be empty',
    kind: 'Telemetry',
    spec: { accessLogging: [{ providers: [{ name: '' }] }] },
    expect: ['E SCHEMA_RANGE spec.accessLogging[0].providers[0].name'],
  },
];

const envoyFilters: ValidationCase[] = [
  {
    name: 'an EnvoyFilter is accepted but flagged as not applied',
    kind: 'EnvoyFilter',
    spec: {
      workloadSelector: { labels: { app: 'reviews' } },
      configPatches: [
        { applyTo: 'HTTP_FILTER', patch: { operation: 'INSERT_BEFORE', value: { name: 'x' } } },
      ],
    },
    expect: ['W NOT_APPLIED '],
    messages: ['EnvoyFilter is not applied by this mesh'],
  },
  {
    name: 'EnvoyFilter fields are those of the CRD: a misspelt one is refused, only patch values are free-form',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [{ aplyTo: 'CLUSTER', patch: { operation: 'MERGE', value: { anything: true } } }],
    },
    expect: ['E SCHEMA_UNKNOWN_FIELD spec.configPatches[0].aplyTo'],
  },
  {
    name: 'EnvoyFilter is only served at v1alpha3',
    kind: 'EnvoyFilter',
    object: { apiVersion: 'networking.istio.io/v1' },
    spec: {},
    expect: ['E API_VERSION_NOT_SERVED apiVersion'],
  },
];

const schemaAndMetadata: ValidationCase[] = [
  {
    name: 'a string where a number belongs is a type error',
    kind: 'VirtualService',
    spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r' }, weight: '50' }] }] },
    expect: ['E SCHEMA_TYPE spec.http[0].route[0].weight'],
  },
  {
    name: 'hosts must be a list',
    kind: 'VirtualService',
    spec: { hosts: 'reviews', http: [{ route: [{ destination: { host: 'reviews' } }] }] },
    expect: ['E SCHEMA_TYPE spec.hosts'],
  },
  {
    name: 'an unknown top-level field is reported',
    kind: 'DestinationRule',
    spec: { host: 'reviews', trafficPolicies: {} },
    expect: ['E SCHEMA_UNKNOWN_FIELD spec.trafficPolicies'],
  },
  {
    name: 'a label value must be a string, even under a key with dots and slashes',
    kind: 'DestinationRule',
    spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { 'app.kubernetes.io/version': 1 } }] },
    expect: ['E SCHEMA_TYPE spec.subsets[0].labels["app.kubernetes.io/version"]'],
  },
  {
    name: 'empty YAML values (null) read as unset, as in Kubernetes and Istio',
    kind: 'PeerAuthentication',
    spec: { mtls: { mode: 'STRICT' }, portLevelMtls: null, selector: null },
    expect: [],
  },
  {
    name: 'a uint32 cannot be negative',
    kind: 'Gateway',
    spec: { servers: [{ port: { number: -1, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
    expect: ['E SCHEMA_RANGE spec.servers[0].port.number'],
  },
  {
    name: 'networking kinds are served at v1alpha3',
    kind: 'VirtualService',
    object: { apiVersion: 'networking.istio.io/v1alpha3' },
    spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r' } }] }] },
    expect: [],
  },
  {
    name: 'security kinds are not served at v1alpha1',
    kind: 'PeerAuthentication',
    object: { apiVersion: 'security.istio.io/v1alpha1' },
    spec: {},
    expect: ['E API_VERSION_NOT_SERVED apiVersion'],
  },
  {
    name: 'Telemetry is served at v1alpha1',
    kind: 'Telemetry',
    object: { apiVersion: 'telemetry.istio.io/v1alpha1' },
    spec: {},
    expect: [],
  },
  {
    name: 'a name is required',
    kind: 'PeerAuthentication',
    object: { metadata: { namespace: 'default' } },
    spec: {},
    expect: ['E METADATA_INVALID metadata.name'],
  },
  {
    name: 'an uppercase name is invalid',
    kind: 'PeerAuthentication',
    object: { metadata: { name: 'Default', namespace: 'default' } },
    spec: {},
    expect: ['E METADATA_INVALID metadata.name'],
  },
  {
    name: 'a namespace must be a DNS label',
    kind: 'PeerAuthentication',
    object: { metadata: { name: 'default', namespace: 'istio.system' } },
    spec: {},
    expect: ['E METADATA_INVALID metadata.namespace'],
  },
];

describe('Telemetry validation', () => runCases(telemetry));
describe('EnvoyFilter handling', () => runCases(envoyFilters));
describe('schema, apiVersion and metadata', () => runCases(schemaAndMetadata));

describe('validateResource on non-Istio objects', () => {
  it('accepts a valid Kubernetes Service', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { ports: [{ port: 9080, name: 'http' }] },
    };
    expect(summarize(service).lines).toEqual([]);
  });

  it('checks the name of Kubernetes kinds the mesh reads', () => {
    expect(
      summarize({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Istio_Config' } }).lines,
    ).toEqual(['E METADATA_INVALID metadata.name']);
  });

  it('passes unknown kinds through without findings, whatever their names', () => {
    expect(
      summarize({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'system:x' },
      }).lines,
    ).toEqual([]);
  });

  it('reports objects without apiVersion or kind', () => {
    expect(summarize({ metadata: { name: 'x' } }).lines).toEqual(['E RESOURCE_MALFORMED ']);
    expect(summarize('not an object').lines).toEqual(['E RESOURCE_MALFORMED ']);
  });
});

describe('finding identity and format', () => {
  it('names the resource, field, reason and code, Istio style', () => {
    const object = istioObject('VirtualService', {
      hosts: ['reviews'],
      http: [{ route: [{ destination: { host: 'reviews' } }], timeout: '0s' }],
    });
    const { errors } = validateResource(object, {
      source: { file: 'vs.yaml', line: 1 },
      fieldLines: new Map([['spec.http[0].timeout', 9]]),
    });
    expect(errors).toEqual([
      {
        code: 'DURATION_INVALID',
        level: 'Error',
        kind: 'VirtualService',
        namespace: 'default',
        name: 'test',
        path: 'spec.http[0].timeout',
        message: 'duration 0s must be greater than 1ms',
        source: { file: 'vs.yaml', line: 9 },
      },
    ]);
    expect(formatFinding(errors[0]!)).toBe(
      'Error [DURATION_INVALID] (VirtualService default/test vs.yaml:9) spec.http[0].timeout: duration 0s must be greater than 1ms',
    );
  });

  it('falls back to the closest enclosing field the file spells out', () => {
    const object = istioObject('DestinationRule', { subsets: [{ name: 'v1' }] });
    const lines = new Map([['spec', 6]]);
    const { errors } = validateResource(object, { source: { file: 'dr.yaml', line: 1 }, fieldLines: lines });
    expect(errors.map((e) => [e.path, e.source?.line])).toEqual([['spec.host', 6]]);
  });
});
