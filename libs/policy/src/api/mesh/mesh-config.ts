import { type Static } from 'typebox';

import { DEFAULT_ROOT_NAMESPACE } from '../../evaluation/workload-selection.js';
import { TcpKeepalive } from '../common.js';
import { HTTPRetry } from '../networking/http-route.js';
import { ClientTLSSettings, LocalityLoadBalancerSetting } from '../networking/traffic-policy.js';
import {
  bool,
  duration,
  enumOf,
  int32,
  listOf,
  nullableBool,
  obj,
  opt,
  str,
  stringList,
  stringMap,
} from '../schema-helpers.js';
import { DEFAULT_EXTENSION_PROVIDERS, ExtensionProvider } from './extension-provider.js';
import { MeshTlsConfig } from './mesh-tls-config.js';
import { DEFAULT_PROXY_CONFIG, ProxyConfig } from './proxy-config.js';

/**
 * Istio's MeshConfig (istio/api `mesh/v1alpha1/config.proto`, the `mesh` key of the `istio`
 * ConfigMap): the mesh-wide settings. Every field of the proto is accepted, with the proto's JSON
 * names; unknown fields are errors, as for the CRDs. What istiod acts on is listed in the README.
 */

export const OUTBOUND_TRAFFIC_POLICY_MODES = ['REGISTRY_ONLY', 'ALLOW_ANY'] as const;
export type OutboundTrafficPolicyMode = (typeof OUTBOUND_TRAFFIC_POLICY_MODES)[number];

/** A Kubernetes label selector (`discoverySelectors`, `serviceScopeConfigs`). */
const LabelSelector = obj({
  matchLabels: opt(stringMap()),
  matchExpressions: opt(
    listOf(
      obj({
        key: str(),
        operator: enumOf(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: opt(stringList()),
      }),
    ),
  ),
});

const CertificateData = obj(
  {
    pem: opt(str('PEM of an extra root certificate.')),
    spiffeBundleUrl: opt(str('SPIFFE bundle endpoint the roots are fetched from.')),
    certSigners: opt(stringList()),
    trustDomains: opt(stringList()),
  },
  { oneOf: [['pem', 'spiffeBundleUrl']] },
);

export const MeshConfig = obj({
  proxyListenPort: opt(int32('Port the proxy captures outbound traffic on (15001).')),
  proxyInboundListenPort: opt(int32('Port the proxy captures inbound traffic on (15006).')),
  proxyHttpPort: opt(int32('Port of an HTTP PROXY listener, if set.')),
  connectTimeout: opt(duration('Connect timeout of upstream connections (10s).')),
  protocolDetectionTimeout: opt(duration('How long protocol sniffing waits (0s: no limit).', false)),
  tcpKeepalive: opt(TcpKeepalive),
  ingressClass: opt(str()),
  ingressService: opt(str()),
  ingressControllerMode: opt(enumOf(['UNSPECIFIED', 'OFF', 'DEFAULT', 'STRICT'])),
  ingressSelector: opt(str()),
  enableTracing: opt(bool()),
  accessLogFile: opt(str('Where proxies write access logs (e.g. /dev/stdout); empty: off.')),
  accessLogFormat: opt(str('Access log format; empty: the proxy default.')),
  accessLogEncoding: opt(enumOf(['TEXT', 'JSON'])),
  enableEnvoyAccessLogService: opt(bool()),
  disableEnvoyListenerLog: opt(bool()),
  defaultConfig: opt(ProxyConfig),
  outboundTrafficPolicy: opt(obj({ mode: opt(enumOf([...OUTBOUND_TRAFFIC_POLICY_MODES])) })),
  inboundTrafficPolicy: opt(obj({ mode: opt(enumOf(['PASSTHROUGH', 'LOCALHOST'])) })),
  configSources: opt(
    listOf(
      obj({
        address: opt(str()),
        tlsSettings: opt(ClientTLSSettings),
        subscribedResources: opt(listOf(enumOf(['SERVICE_REGISTRY']))),
      }),
    ),
  ),
  enableAutoMtls: opt(nullableBool('Istio mTLS to sidecars when no DestinationRule sets TLS (true).')),
  trustDomain: opt(str('The SPIFFE trust domain (cluster.local).')),
  trustDomainAliases: opt(stringList('Trust domains treated as this one.')),
  caCertificates: opt(listOf(CertificateData)),
  defaultServiceExportTo: opt(stringList()),
  defaultVirtualServiceExportTo: opt(stringList()),
  defaultDestinationRuleExportTo: opt(stringList()),
  rootNamespace: opt(str('Namespace of mesh-wide config (istio-system).')),
  localityLbSetting: opt(LocalityLoadBalancerSetting),
  dnsRefreshRate: opt(duration()),
  h2UpgradePolicy: opt(enumOf(['DO_NOT_UPGRADE', 'UPGRADE'])),
  inboundClusterStatName: opt(str()),
  outboundClusterStatName: opt(str()),
  certificates: opt(listOf(obj({ secretName: opt(str()), dnsNames: opt(stringList()) }), 'Deprecated.')),
  serviceSettings: opt(
    listOf(obj({ settings: opt(obj({ clusterLocal: opt(bool()) })), hosts: opt(stringList()) })),
  ),
  enablePrometheusMerge: opt(nullableBool()),
  verifyCertificateAtClient: opt(nullableBool('Deprecated.')),
  ca: opt(
    obj({
      address: opt(str()),
      tlsSettings: opt(ClientTLSSettings),
      requestTimeout: opt(duration()),
      istiodSide: opt(bool()),
    }),
  ),
  extensionProviders: opt(listOf(ExtensionProvider)),
  defaultProviders: opt(
    obj({ tracing: opt(stringList()), metrics: opt(stringList()), accessLogging: opt(stringList()) }),
  ),
  discoverySelectors: opt(listOf(LabelSelector)),
  pathNormalization: opt(
    obj({
      normalization: opt(enumOf(['DEFAULT', 'NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'])),
    }),
  ),
  defaultHttpRetryPolicy: opt(HTTPRetry),
  meshMTLS: opt(MeshTlsConfig),
  tlsDefaults: opt(MeshTlsConfig),
  compliancePolicy: opt(str('fips-140-2 restricts TLS versions and suites everywhere.')),
  serviceScopeConfigs: opt(
    listOf(
      obj({
        namespaceSelector: opt(LabelSelector),
        servicesSelector: opt(LabelSelector),
        scope: opt(enumOf(['LOCAL', 'GLOBAL'])),
      }),
    ),
  ),
});
export type MeshConfig = Static<typeof MeshConfig>;

/** A MeshConfig with Istio's defaults applied: the fields generation reads are always there. */
export type ResolvedMeshConfig = MeshConfig & {
  trustDomain: string;
  trustDomainAliases: string[];
  rootNamespace: string;
  enableAutoMtls: boolean;
  outboundTrafficPolicy: { mode: OutboundTrafficPolicyMode };
  defaultConfig: ProxyConfig;
  extensionProviders: ExtensionProvider[];
};

/** Istio's `DefaultMeshConfig()` (pkg/config/mesh/mesh.go). */
export const DEFAULT_MESH_CONFIG: Readonly<ResolvedMeshConfig> = {
  enableTracing: true,
  accessLogFile: '',
  accessLogEncoding: 'TEXT',
  accessLogFormat: '',
  enableEnvoyAccessLogService: false,
  protocolDetectionTimeout: '0s',
  ingressService: 'istio-ingressgateway',
  ingressControllerMode: 'STRICT',
  ingressClass: 'istio',
  trustDomain: 'cluster.local',
  trustDomainAliases: [],
  enableAutoMtls: true,
  outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
  localityLbSetting: { enabled: true },
  defaultConfig: DEFAULT_PROXY_CONFIG,
  rootNamespace: DEFAULT_ROOT_NAMESPACE,
  proxyListenPort: 15001,
  proxyInboundListenPort: 15006,
  connectTimeout: '10s',
  defaultServiceExportTo: ['*'],
  defaultVirtualServiceExportTo: ['*'],
  defaultDestinationRuleExportTo: ['*'],
  dnsRefreshRate: '60s',
  defaultProviders: {},
  extensionProviders: [...DEFAULT_EXTENSION_PROVIDERS],
};

/**
 * A valid MeshConfig over Istio's defaults, as Istio's `ApplyMeshConfig` does it: a field that is set
 * replaces the default, except `defaultConfig` (merged field by field, `proxyMetadata` entry by entry),
 * `extensionProviders` (merged by name: the built-in ones stay unless redefined) and
 * `trustDomainAliases` (added to). A nested message replaces the default whole, so
 * `outboundTrafficPolicy: {}` means the proto's zero value, REGISTRY_ONLY.
 */
export function resolveMeshConfig(config: MeshConfig): ResolvedMeshConfig {
  const set = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined && v !== null));
  const proxy = config.defaultConfig ?? {};
  const defaultConfig: ProxyConfig = { ...DEFAULT_PROXY_CONFIG, ...proxy };
  // `serviceCluster` and `tracingServiceName` are one proto oneof: setting one clears the other.
  if (proxy.tracingServiceName !== undefined && proxy.serviceCluster === undefined)
    delete defaultConfig.serviceCluster;
  const providers = [...DEFAULT_EXTENSION_PROVIDERS];
  for (const provider of config.extensionProviders ?? []) {
    const builtIn = providers.findIndex((p) => p.name === provider.name);
    if (builtIn >= 0) providers[builtIn] = provider;
    else providers.push(provider);
  }
  return {
    ...DEFAULT_MESH_CONFIG,
    ...set,
    outboundTrafficPolicy: config.outboundTrafficPolicy
      ? { mode: config.outboundTrafficPolicy.mode ?? 'REGISTRY_ONLY' }
      : DEFAULT_MESH_CONFIG.outboundTrafficPolicy,
    defaultConfig,
    extensionProviders: providers,
    trustDomainAliases: [...new Set(config.trustDomainAliases ?? [])].sort(),
  };
}
