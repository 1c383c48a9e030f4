import { type Static } from 'typebox';

import { TcpKeepalive } from '../common.js';
import { ClientTLSSettings } from '../networking/traffic-policy.js';
import { ReadinessProbe } from '../networking/workload-group.js';
import {
  bool,
  double,
  duration,
  enumOf,
  freeForm,
  int32,
  int64,
  listOf,
  mapOf,
  nullableBool,
  obj,
  opt,
  str,
  stringList,
  stringMap,
  uint32,
} from '../schema-helpers.js';

/**
 * `ProxyConfig` (istio/api `mesh/v1alpha1/proxy.proto`): the proxy settings MeshConfig's `defaultConfig`
 * gives every sidecar and gateway (a pod's `proxy.istio.io/config` annotation and ProxyConfig resources
 * override them). Every field of the proto, so any ProxyConfig Istio accepts loads here.
 */

export const CONTROL_PLANE_AUTH_POLICIES = ['NONE', 'MUTUAL_TLS', 'INHERIT'] as const;
export const INTERCEPTION_MODES = ['REDIRECT', 'TPROXY', 'NONE'] as const;

const TRACE_CONTEXTS = ['UNSPECIFIED', 'W3C_TRACE_CONTEXT', 'GRPC_BIN', 'CLOUD_TRACE_CONTEXT', 'B3'];

/** `Tracing.CustomTag`: a span tag from a literal, an environment variable or a request header. */
const CustomTag = obj(
  {
    literal: opt(obj({ value: opt(str()) })),
    environment: opt(obj({ name: opt(str()), defaultValue: opt(str()) })),
    header: opt(obj({ name: opt(str()), defaultValue: opt(str()) })),
  },
  { oneOf: [['literal', 'environment', 'header']] },
);

/** `Tracing`: the tracer Envoy reports spans to (the Telemetry API and extensionProviders supersede it). */
export const Tracing = obj(
  {
    zipkin: opt(obj({ address: opt(str('Address of the Zipkin service (e.g. zipkin:9411).')) })),
    lightstep: opt(obj({ address: opt(str()), accessToken: opt(str()) })),
    datadog: opt(obj({ address: opt(str()) })),
    stackdriver: opt(
      obj({
        debug: opt(bool()),
        maxNumberOfAttributes: opt(int64()),
        maxNumberOfAnnotations: opt(int64()),
        maxNumberOfMessageEvents: opt(int64()),
      }),
    ),
    openCensusAgent: opt(obj({ address: opt(str()), context: opt(listOf(enumOf(TRACE_CONTEXTS))) })),
    customTags: opt(mapOf(CustomTag)),
    maxPathTagLength: opt(uint32()),
    sampling: opt(double('Percentage of requests (0.0 - 100.0) sampled when the client did not decide.')),
    tlsSettings: opt(ClientTLSSettings),
  },
  { oneOf: [['zipkin', 'lightstep', 'datadog', 'stackdriver', 'openCensusAgent']] },
);

/** `RemoteService`: an access log or metrics service address. */
const RemoteService = obj({
  address: opt(str()),
  tlsSettings: opt(ClientTLSSettings),
  tcpKeepalive: opt(TcpKeepalive),
});

const Topology = obj({
  numTrustedProxies: opt(uint32('Trusted proxies in front of the gateway (X-Forwarded-For).')),
  forwardClientCertDetails: opt(
    enumOf([
      'UNDEFINED',
      'SANITIZE',
      'FORWARD_ONLY',
      'APPEND_FORWARD',
      'SANITIZE_SET',
      'ALWAYS_FORWARD_ONLY',
    ]),
  ),
  proxyProtocol: opt(freeForm('Accept the PROXY protocol on the gateway.')),
});

export const ProxyConfig = obj(
  {
    configPath: opt(str('Directory of the generated proxy configuration.')),
    binaryPath: opt(str('Path to the proxy binary.')),
    serviceCluster: opt(str('Envoy `service_cluster` shared by every proxy.')),
    tracingServiceName: opt(
      enumOf(['APP_LABEL_AND_NAMESPACE', 'CANONICAL_NAME_ONLY', 'CANONICAL_NAME_AND_NAMESPACE']),
    ),
    drainDuration: opt(duration('How long Envoy drains connections on a hot restart.')),
    parentShutdownDuration: opt(duration()),
    discoveryAddress: opt(str('Address of the xDS server (host:port).')),
    discoveryRefreshDelay: opt(duration('Deprecated.')),
    zipkinAddress: opt(str('Deprecated: use tracing.')),
    statsdUdpAddress: opt(str('IP address and port of a statsd UDP listener.')),
    envoyMetricsServiceAddress: opt(str('Deprecated.')),
    proxyAdminPort: opt(int32('Port of the proxy admin interface.')),
    availabilityZone: opt(str('Deprecated.')),
    controlPlaneAuthPolicy: opt(enumOf([...CONTROL_PLANE_AUTH_POLICIES])),
    customConfigFile: opt(str()),
    statNameLength: opt(int32()),
    concurrency: opt(int32('Worker threads; 0 means one per core.', { nullable: true })),
    proxyBootstrapTemplatePath: opt(str()),
    interceptionMode: opt(enumOf([...INTERCEPTION_MODES])),
    tracing: opt(Tracing),
    sds: opt(obj({ enabled: opt(bool()), k8sSaJwtPath: opt(str()) }, { description: 'Deprecated.' })),
    envoyAccessLogService: opt(RemoteService),
    envoyMetricsService: opt(RemoteService),
    proxyMetadata: opt(stringMap('Environment of the proxy; ISTIO_META_* entries reach istiod.')),
    runtimeValues: opt(stringMap('Envoy runtime values set at bootstrap.')),
    statusPort: opt(int32('Port of the agent (readiness, merged metrics).')),
    extraStatTags: opt(stringList()),
    gatewayTopology: opt(Topology),
    terminationDrainDuration: opt(duration('How long connections may finish on shutdown.')),
    meshId: opt(str()),
    readinessProbe: opt(ReadinessProbe),
    proxyStatsMatcher: opt(
      obj({
        inclusionPrefixes: opt(stringList()),
        inclusionSuffixes: opt(stringList()),
        inclusionRegexps: opt(stringList()),
      }),
    ),
    holdApplicationUntilProxyStarts: opt(nullableBool()),
    caCertificatesPem: opt(stringList()),
    image: opt(obj({ imageType: opt(str('default, debug or distroless.')) })),
    privateKeyProvider: opt(freeForm('Private key provider (CryptoMB, QAT) of gateways and sidecars.')),
    proxyHeaders: opt(freeForm('Headers the proxy adds or removes (server, x-request-id, ...).')),
    fileFlushInterval: opt(duration('How often access log files are flushed.')),
    fileFlushMinSizeKb: opt(uint32()),
  },
  { oneOf: [['serviceCluster', 'tracingServiceName']] },
);
export type ProxyConfig = Static<typeof ProxyConfig>;

/** Istio's `DefaultProxyConfig()`: what a MeshConfig's `defaultConfig` is merged over. */
export const DEFAULT_PROXY_CONFIG: Readonly<ProxyConfig> = {
  configPath: './etc/istio/proxy',
  binaryPath: '/usr/local/bin/envoy',
  serviceCluster: 'istio-proxy',
  drainDuration: '45s',
  parentShutdownDuration: '60s',
  terminationDrainDuration: '5s',
  proxyAdminPort: 15000,
  concurrency: 2,
  controlPlaneAuthPolicy: 'MUTUAL_TLS',
  discoveryAddress: 'istiod.istio-system.svc:15012',
  tracing: { zipkin: { address: 'zipkin.istio-system:9411' } },
  statNameLength: 189,
  statusPort: 15020,
};
