import { describe, expect, it } from 'vitest';

import { validateMeshConfig } from './mesh-config.js';

const summary = (meshConfig: unknown) => {
  const result = validateMeshConfig(meshConfig);
  return [...result.errors, ...result.warnings].map((f) => `${f.level[0]} ${f.code} ${f.path}`);
};

/** A MeshConfig touching every area an operator sets, as Istio's chart and docs write them. */
const FULL = {
  accessLogFile: '/dev/stdout',
  accessLogEncoding: 'JSON',
  accessLogFormat: '%START_TIME% %RESPONSE_CODE%\n',
  enableTracing: false,
  enablePrometheusMerge: true,
  enableAutoMtls: false,
  trustDomain: 'example.org',
  trustDomainAliases: ['old.example.org', 'cluster.local', 'old.example.org'],
  rootNamespace: 'mesh-root',
  ingressControllerMode: 'OFF',
  ingressClass: 'istio',
  outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
  inboundTrafficPolicy: { mode: 'LOCALHOST' },
  connectTimeout: '5s',
  protocolDetectionTimeout: '0s',
  dnsRefreshRate: '30s',
  h2UpgradePolicy: 'UPGRADE',
  defaultServiceExportTo: ['.'],
  defaultVirtualServiceExportTo: ['.', 'istio-system'],
  defaultDestinationRuleExportTo: ['~'],
  localityLbSetting: { enabled: true, failover: [{ from: 'us-east', to: 'us-west' }] },
  defaultHttpRetryPolicy: { attempts: 3, retryOn: 'connect-failure,503' },
  discoverySelectors: [
    { matchLabels: { mesh: 'on' } },
    { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
  ],
  pathNormalization: { normalization: 'MERGE_SLASHES' },
  serviceSettings: [{ settings: { clusterLocal: true }, hosts: ['*.kube-system.svc.cluster.local'] }],
  caCertificates: [{ pem: '-----BEGIN CERTIFICATE-----', trustDomains: ['other.org'] }],
  meshMTLS: { minProtocolVersion: 'TLSV1_3' },
  tlsDefaults: { ecdhCurves: ['X25519'], cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] },
  compliancePolicy: '',
  defaultConfig: {
    discoveryAddress: 'istiod.istio-system.svc:15012',
    holdApplicationUntilProxyStarts: true,
    proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' },
    tracing: { zipkin: { address: 'zipkin.observability:9411' }, sampling: 10 },
    proxyStatsMatcher: { inclusionPrefixes: ['upstream_cx'] },
    image: { imageType: 'distroless' },
  },
  extensionProviders: [
    {
      name: 'opa',
      envoyExtAuthzHttp: {
        service: 'opa.opa.svc.cluster.local',
        port: 8181,
        timeout: '2s',
        includeRequestHeadersInCheck: ['authorization'],
      },
    },
    {
      name: 'authz-grpc',
      envoyExtAuthzGrpc: { service: 'authz/ext-authz.foo.svc.cluster.local', port: 9000, failOpen: false },
    },
    {
      name: 'otel',
      opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317 },
    },
    { name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } },
    {
      name: 'json-log',
      envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: { code: '%RESPONSE_CODE%' } } },
    },
  ],
  defaultProviders: { metrics: ['prometheus'], tracing: ['otel'], accessLogging: ['json-log'] },
};

describe('MeshConfig validation', () => {
  it('accepts an empty MeshConfig as Istio’s defaults', () => {
    const { meshConfig, errors, warnings } = validateMeshConfig({});
    expect([errors, warnings]).toEqual([[], []]);
    expect(meshConfig).toMatchObject({
      trustDomain: 'cluster.local',
      rootNamespace: 'istio-system',
      enableAutoMtls: true,
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
      accessLogFile: '',
      defaultServiceExportTo: ['*'],
      defaultConfig: { proxyAdminPort: 15000, discoveryAddress: 'istiod.istio-system.svc:15012' },
    });
    expect(meshConfig?.extensionProviders.map((p) => p.name)).toEqual(['prometheus', 'stackdriver', 'envoy']);
  });

  it('accepts every area of a full MeshConfig and applies it over the defaults', () => {
    const { meshConfig, errors, warnings } = validateMeshConfig(FULL);
    expect([errors, warnings]).toEqual([[], []]);
    expect(meshConfig).toMatchObject({
      trustDomain: 'example.org',
      trustDomainAliases: ['cluster.local', 'old.example.org'],
      rootNamespace: 'mesh-root',
      enableAutoMtls: false,
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      meshMTLS: { minProtocolVersion: 'TLSV1_3' },
      // defaultConfig is merged field by field over the proxy defaults.
      defaultConfig: { proxyAdminPort: 15000, statusPort: 15020, holdApplicationUntilProxyStarts: true },
    });
    expect(meshConfig?.extensionProviders.map((p) => p.name)).toEqual([
      'prometheus',
      'stackdriver',
      'envoy',
      'opa',
      'authz-grpc',
      'otel',
      'zipkin',
      'json-log',
    ]);
  });

  it('reads an outboundTrafficPolicy without a mode as the proto’s zero value, REGISTRY_ONLY', () => {
    expect(validateMeshConfig({ outboundTrafficPolicy: {} }).meshConfig?.outboundTrafficPolicy).toEqual({
      mode: 'REGISTRY_ONLY',
    });
  });

  it('lets a provider redefine a built-in one by name, and reads empty fields as unset', () => {
    const { meshConfig } = validateMeshConfig({
      accessLogFile: null,
      extensionProviders: [{ name: 'envoy', envoyFileAccessLog: { path: '/var/log/access.log' } }],
    });
    expect(meshConfig?.accessLogFile).toBe('');
    expect(meshConfig?.extensionProviders).toContainEqual({
      name: 'envoy',
      envoyFileAccessLog: { path: '/var/log/access.log' },
    });
  });

  it.each([
    [
      'an unknown field (snake_case is not MeshConfig)',
      { trust_domain: 'x' },
      'E SCHEMA_UNKNOWN_FIELD trust_domain',
    ],
    [
      'an unknown nested field',
      { defaultConfig: { discoveryAdress: 'x:1' } },
      'E SCHEMA_UNKNOWN_FIELD defaultConfig.discoveryAdress',
    ],
    [
      'an unknown provider field',
      { extensionProviders: [{ name: 'a', zipkin: { service: 'z.ns', port: 1, sampling: 5 } }] },
      'E SCHEMA_UNKNOWN_FIELD extensionProviders[0].zipkin.sampling',
    ],
    [
      'a bad enum',
      { outboundTrafficPolicy: { mode: 'DENY_ALL' } },
      'E SCHEMA_ENUM outboundTrafficPolicy.mode',
    ],
    ['a bad encoding', { accessLogEncoding: 'YAML' }, 'E SCHEMA_ENUM accessLogEncoding'],
    ['a wrong type', { enableAutoMtls: 'yes' }, 'E SCHEMA_TYPE enableAutoMtls'],
    [
      'a bad cipher suite',
      { meshMTLS: { cipherSuites: ['AES128-GCM-SHA256', 'RC4-MD5'] } },
      'E TLS_INVALID meshMTLS.cipherSuites[1]',
    ],
    ['an invalid trust domain', { trustDomain: 'Cluster_Local' }, 'E SCHEMA_INVALID trustDomain'],
    ['an invalid alias', { trustDomainAliases: ['ok.org', ''] }, 'E SCHEMA_INVALID trustDomainAliases[1]'],
    ['an invalid root namespace', { rootNamespace: 'Istio-System' }, 'E SCHEMA_INVALID rootNamespace'],
    [
      'public and private export defaults',
      { defaultServiceExportTo: ['*', '.'] },
      'E EXPORT_TO_INVALID defaultServiceExportTo',
    ],
    ['a malformed duration', { connectTimeout: '10' }, 'E DURATION_INVALID connectTimeout'],
    [
      'a malformed provider timeout',
      {
        extensionProviders: [{ name: 'a', envoyExtAuthzGrpc: { service: 'a.b', port: 1, timeout: 'soon' } }],
      },
      'E DURATION_INVALID extensionProviders[0].envoyExtAuthzGrpc.timeout',
    ],
    ['a port out of range', { proxyListenPort: 70000 }, 'E PORT_INVALID proxyListenPort'],
    [
      'a discovery address without port',
      { defaultConfig: { discoveryAddress: 'istiod' } },
      'E ADDRESS_INVALID defaultConfig.discoveryAddress',
    ],
    [
      'an INHERIT mesh-wide auth policy',
      { defaultConfig: { controlPlaneAuthPolicy: 'INHERIT' } },
      'E SCHEMA_ENUM defaultConfig.controlPlaneAuthPolicy',
    ],
    [
      'two kinds in one provider',
      { extensionProviders: [{ name: 'a', prometheus: {}, zipkin: { service: 'z.ns', port: 1 } }] },
      'E ONE_OF extensionProviders[0]',
    ],
    [
      'retries configured while disabled',
      { defaultHttpRetryPolicy: { attempts: 0, retryOn: '5xx' } },
      'E HTTP_POLICY_INVALID defaultHttpRetryPolicy',
    ],
  ])('refuses %s, named by its path', (_what, meshConfig, finding) => {
    const result = validateMeshConfig(meshConfig);
    expect(summary(meshConfig)).toEqual([finding]);
    expect(result.meshConfig).toBeUndefined();
  });

  it('warns, as Istio does, about providers that cannot work, and keeps the config', () => {
    const meshConfig = {
      extensionProviders: [
        { name: 'authz', envoyExtAuthzHttp: { pathPrefix: 'check', statusOnError: 'nope' } },
        { name: 'authz', opentelemetry: { service: 'otel.ns', port: 4317 } },
        { name: 'empty' },
      ],
      defaultProviders: { tracing: ['jaeger'] },
    };
    expect(summary(meshConfig)).toEqual([
      'W HOST_INVALID extensionProviders[0].envoyExtAuthzHttp.service',
      'W PORT_INVALID extensionProviders[0].envoyExtAuthzHttp.port',
      'W SCHEMA_INVALID extensionProviders[0].envoyExtAuthzHttp.pathPrefix',
      'W SCHEMA_INVALID extensionProviders[0].envoyExtAuthzHttp.statusOnError',
      'W SCHEMA_INVALID extensionProviders[1].name',
      'W SCHEMA_REQUIRED extensionProviders[2]',
      'W SCHEMA_INVALID defaultProviders.tracing[0]',
    ]);
    expect(validateMeshConfig(meshConfig).meshConfig).toBeDefined();
  });

  it('refuses a MeshConfig that is not a mapping', () => {
    expect(summary(['trustDomain: x'])).toEqual(['E SCHEMA_TYPE ']);
  });
});
