import {
  DEFAULT_EXTENSION_PROVIDERS,
  EXTENSION_PROVIDER_KINDS,
  NETWORKED_PROVIDER_KINDS,
  type ExtensionProvider,
} from '../../api/mesh/extension-provider.js';
import type { MeshConfig } from '../../api/mesh/mesh-config.js';
import type { ProxyConfig } from '../../api/mesh/proxy-config.js';
import { field, item, nested } from '../../field-paths.js';
import type { FindingCollector } from '../collector.js';
import { checkExportTo } from './common.js';
import { checkFqdn, checkWildcardDomain } from './hosts.js';
import { checkRetries } from './http-policies.js';
import { checkLocalityLb } from './locality-lb.js';
import { checkDuration, checkPort, isIpAddress, isNamespaceName, parseDuration } from './primitives.js';

/**
 * Istio's `ValidateMeshConfig` rules, run once the MeshConfig matches its schema: ports, durations,
 * trust domains, the root namespace, export defaults, locality and retry defaults, the proxy defaults
 * (`ValidateMeshConfigProxyConfig`). Extension providers get Istio's checks as warnings, as in Istio
 * (a broken provider matters only to the resources that name it).
 */

/** Istio's `ValidateTrustDomain`: lowercase DNS-1123 labels; a trailing dot is allowed. */
function checkTrustDomain(domain: string): string | undefined {
  if (domain === '') return 'empty domain name not allowed';
  const labels = domain.endsWith('.') ? domain.slice(0, -1).split('.') : domain.split('.');
  // A namespace name is exactly a lowercase DNS-1123 label.
  return labels.every(isNamespaceName) ? undefined : `trust domain name ${JSON.stringify(domain)} invalid`;
}

/** `host:port` (`istiod.istio-system.svc:15012`, `[::1]:15012`), as Istio's `ValidateProxyAddress`. */
function checkHostPort(address: string): string | undefined {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return `${JSON.stringify(address)} must be host:port`;
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = address.slice(colon + 1);
  if (!/^\d+$/.test(port)) return `port ${JSON.stringify(port)} of ${address} is not a number`;
  return checkPort(Number(port)) ?? (isIpAddress(host) ? undefined : checkFqdn(host));
}

/** Duration fields, each checked (a malformed duration is an error: Istio fails to parse it). */
function checkDurations(
  value: object | undefined,
  path: string,
  fields: readonly string[],
  c: FindingCollector,
): void {
  for (const name of fields) {
    const text = (value as Record<string, unknown> | undefined)?.[name];
    if (typeof text === 'string') c.check('DURATION_INVALID', nested(path, name), checkDuration(text));
  }
}

export function checkMeshConfigRules(config: MeshConfig, c: FindingCollector): void {
  for (const name of ['proxyListenPort', 'proxyInboundListenPort'] as const) {
    const port = config[name];
    if (port !== undefined) c.check('PORT_INVALID', name, checkPort(port));
  }
  if (config.proxyHttpPort) c.check('PORT_INVALID', 'proxyHttpPort', checkPort(config.proxyHttpPort));
  checkDurations(config, '', ['connectTimeout', 'dnsRefreshRate'], c);
  checkDurations(config.tcpKeepalive, 'tcpKeepalive', ['time', 'interval'], c);
  checkDurations(config.ca, 'ca', ['requestTimeout'], c);
  // 0s turns protocol detection's timeout off.
  const detection = config.protocolDetectionTimeout;
  if (detection !== undefined && parseDuration(detection) !== 0n)
    c.check('DURATION_INVALID', 'protocolDetectionTimeout', checkDuration(detection));
  if (config.trustDomain !== undefined)
    c.check('SCHEMA_INVALID', 'trustDomain', checkTrustDomain(config.trustDomain));
  config.trustDomainAliases?.forEach((alias, i) =>
    c.check('SCHEMA_INVALID', item('trustDomainAliases', i), checkTrustDomain(alias)),
  );
  if (config.rootNamespace !== undefined && !isNamespaceName(config.rootNamespace))
    c.error('SCHEMA_INVALID', 'rootNamespace', `invalid namespace ${JSON.stringify(config.rootNamespace)}`);
  for (const name of [
    'defaultServiceExportTo',
    'defaultVirtualServiceExportTo',
    'defaultDestinationRuleExportTo',
  ] as const)
    checkExportTo(config[name], '', c, { serviceEntry: true, path: name });
  // Mesh-wide there is no DestinationRule outlier detection to require: Istio passes an empty one.
  if (config.localityLbSetting) checkLocalityLb(config.localityLbSetting, {}, 'localityLbSetting', c);
  if (config.defaultHttpRetryPolicy) checkRetries(config.defaultHttpRetryPolicy, 'defaultHttpRetryPolicy', c);
  config.serviceSettings?.forEach((settings, i) =>
    settings.hosts?.forEach((host, j) =>
      c.check('HOST_INVALID', item(field(item('serviceSettings', i), 'hosts'), j), checkWildcardDomain(host)),
    ),
  );
  if (config.defaultConfig) checkProxyConfig(config.defaultConfig, 'defaultConfig', c);
  checkExtensionProviders(config, c);
}

function checkProxyConfig(proxy: ProxyConfig, path: string, c: FindingCollector): void {
  for (const name of ['proxyAdminPort', 'statusPort'] as const) {
    const port = proxy[name];
    if (port !== undefined) c.check('PORT_INVALID', field(path, name), checkPort(port));
  }
  checkDurations(
    proxy,
    path,
    ['drainDuration', 'parentShutdownDuration', 'terminationDrainDuration', 'fileFlushInterval'],
    c,
  );
  if (proxy.discoveryAddress !== undefined)
    c.check('ADDRESS_INVALID', field(path, 'discoveryAddress'), checkHostPort(proxy.discoveryAddress));
  if (proxy.statsdUdpAddress)
    c.check('ADDRESS_INVALID', field(path, 'statsdUdpAddress'), checkHostPort(proxy.statsdUdpAddress));
  if (proxy.concurrency !== undefined && proxy.concurrency < 0)
    c.error('SCHEMA_RANGE', field(path, 'concurrency'), 'concurrency cannot be negative');
  if (proxy.controlPlaneAuthPolicy === 'INHERIT')
    c.error('SCHEMA_ENUM', field(path, 'controlPlaneAuthPolicy'), 'the mesh-wide policy cannot be INHERIT');
  const sampling = proxy.tracing?.sampling;
  if (sampling !== undefined && (sampling < 0 || sampling > 100))
    c.error('PERCENT_INVALID', nested(path, 'tracing.sampling'), 'sampling must be between 0.0 and 100.0');
}

function providerKind(provider: ExtensionProvider) {
  return EXTENSION_PROVIDER_KINDS.find((kind) => provider[kind] !== undefined);
}

/** Istio's `validateExtensionProvider`, as warnings; malformed durations stay errors. */
function checkExtensionProviders(config: MeshConfig, c: FindingCollector): void {
  const names = new Set<string>();
  config.extensionProviders?.forEach((provider, i) => {
    const path = item('extensionProviders', i);
    if (provider.name === '')
      c.warning('SCHEMA_INVALID', field(path, 'name'), 'empty extension provider name');
    else if (names.has(provider.name))
      c.warning('SCHEMA_INVALID', field(path, 'name'), `duplicate extension provider name ${provider.name}`);
    names.add(provider.name);
    const kind = providerKind(provider);
    if (kind === undefined) {
      c.warning('SCHEMA_REQUIRED', path, `one of ${EXTENSION_PROVIDER_KINDS.join(', ')} must be set`);
      return;
    }
    const at = field(path, kind);
    const settings = provider[kind] as { service?: string; port?: number; timeout?: string };
    checkDurations(settings, at, ['timeout'], c);
    if (kind === 'opentelemetry')
      checkDurations(provider.opentelemetry?.http, field(at, 'http'), ['timeout'], c);
    if (NETWORKED_PROVIDER_KINDS.has(kind)) {
      const service = settings.service ?? '';
      const host = service.slice(service.indexOf('/') + 1);
      const problem = service === '' ? 'service must not be empty' : checkFqdn(host);
      if (problem !== undefined) c.warning('HOST_INVALID', field(at, 'service'), problem);
      const portProblem = checkPort(settings.port ?? 0);
      if (portProblem !== undefined) c.warning('PORT_INVALID', field(at, 'port'), portProblem);
    }
    const http = provider.envoyExtAuthzHttp;
    if (http?.pathPrefix !== undefined && http.pathPrefix !== '' && !http.pathPrefix.startsWith('/'))
      c.warning('SCHEMA_INVALID', field(at, 'pathPrefix'), 'pathPrefix must begin with /');
    const status = (http ?? provider.envoyExtAuthzGrpc)?.statusOnError;
    if (status !== undefined && status !== '' && !/^[1-5]\d\d$/.test(status))
      c.warning(
        'SCHEMA_INVALID',
        field(at, 'statusOnError'),
        `invalid HTTP status ${JSON.stringify(status)}`,
      );
  });
  // Default providers must name a provider, built in or defined here.
  for (const name of DEFAULT_EXTENSION_PROVIDERS) names.add(name.name);
  for (const use of ['tracing', 'metrics', 'accessLogging'] as const)
    config.defaultProviders?.[use]?.forEach((name, i) => {
      if (!names.has(name))
        c.warning(
          'SCHEMA_INVALID',
          item(nested('defaultProviders', use), i),
          `no extension provider is named ${JSON.stringify(name)}`,
        );
    });
}
