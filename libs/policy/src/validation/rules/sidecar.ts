import type {
  IstioIngressListener,
  OutboundTrafficPolicy,
  SidecarSpec,
} from '../../api/networking/sidecar.js';
import type { SidecarPort } from '../../api/networking/server-tls-settings.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { checkNetworkingSelector } from './common.js';
import { checkDestination } from './destinations.js';
import { checkFqdn, checkNamespacedHost } from './hosts.js';
import { checkIpAddress, checkPort, checkUnixAddress } from './primitives.js';
import { checkPortName, checkProtocol, isHttpProtocol, isTlsProtocol, parseProtocol } from './protocols.js';
import { checkServerTls } from './server-tls.js';
import { checkConnectionPool } from './traffic-policy.js';

/** Sidecar rules (Istio's `ValidateSidecar`): listeners, egress host scoping, outbound policy. */

const UNIX_PREFIX = 'unix://';
const LOOPBACK_OR_ANY = new Set(['127.0.0.1', '0.0.0.0', '::1', '::']);

export function checkSidecar(spec: SidecarSpec, c: FindingCollector): void {
  checkNetworkingSelector(spec.workloadSelector, 'spec.workloadSelector', c);
  if (
    (spec.egress?.length ?? 0) === 0 &&
    (spec.ingress?.length ?? 0) === 0 &&
    spec.outboundTrafficPolicy === undefined &&
    spec.inboundConnectionPool === undefined
  ) {
    c.error('SIDECAR_INVALID', 'spec', 'sidecar: empty configuration provided');
    return;
  }
  const ingressPorts = new Set<number>();
  spec.ingress?.forEach((listener, i) => {
    const at = item('spec.ingress', i);
    checkIngress(listener, at, c);
    const number = listener.port.number ?? 0;
    if (ingressPorts.has(number))
      c.error(
        'SIDECAR_INVALID',
        nested(at, 'port.number'),
        'sidecar: ports on IP bound listeners must be unique',
      );
    ingressPorts.add(number);
  });
  if (spec.inboundConnectionPool !== undefined)
    checkConnectionPool(spec.inboundConnectionPool, 'spec.inboundConnectionPool', c);
  checkEgress(spec, c);
  if (spec.outboundTrafficPolicy !== undefined)
    checkOutboundPolicy(spec.outboundTrafficPolicy, 'spec.outboundTrafficPolicy', c);
}

function checkListenerPort(port: SidecarPort, path: string, c: FindingCollector): void {
  if (port.name !== undefined && port.name !== '')
    c.check('PORT_INVALID', field(path, 'name'), checkPortName(port.name));
  c.check('PORT_INVALID', field(path, 'protocol'), checkProtocol(port.protocol));
  if ((port.targetPort ?? 0) > 0)
    c.error('PORT_INVALID', field(path, 'targetPort'), 'targetPort has no impact on Sidecars');
}

/** `127.0.0.1:8080`, `[::1]:8080`, `:8080` or `unix:///path`: where inbound traffic is delivered. */
function checkDefaultEndpoint(endpoint: string, path: string, c: FindingCollector): void {
  if (endpoint.startsWith(UNIX_PREFIX)) {
    c.check('ADDRESS_INVALID', path, checkUnixAddress(endpoint.slice(UNIX_PREFIX.length)));
    return;
  }
  const match = /^(?:\[([^\]]*)\]|([^:]*)):([^:]*)$/.exec(endpoint);
  if (match === null) {
    c.error('ADDRESS_INVALID', path, `address ${endpoint}: missing port or too many colons`);
    return;
  }
  const host = match[1] ?? match[2] ?? '';
  const port = match[3] ?? '';
  if (host !== '' && !LOOPBACK_OR_ANY.has(host)) {
    c.error(
      'ADDRESS_INVALID',
      path,
      'sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset',
    );
  }
  if (!/^\d+$/.test(port))
    c.error('PORT_INVALID', path, `sidecar: defaultEndpoint port (${port}) is not a number`);
  else c.check('PORT_INVALID', path, checkPort(Number(port)));
}

function checkIngress(listener: IstioIngressListener, path: string, c: FindingCollector): void {
  const portPath = field(path, 'port');
  checkListenerPort(listener.port, portPath, c);
  c.check('PORT_INVALID', field(portPath, 'number'), checkPort(listener.port.number ?? 0));
  if (listener.bind !== undefined && listener.bind !== '')
    c.check('ADDRESS_INVALID', field(path, 'bind'), checkIpAddress(listener.bind));
  if (listener.defaultEndpoint !== undefined && listener.defaultEndpoint !== '') {
    checkDefaultEndpoint(listener.defaultEndpoint, field(path, 'defaultEndpoint'), c);
  }
  const protocol = parseProtocol(listener.port.protocol);
  const tls = listener.tls;
  if (tls !== undefined) {
    const at = field(path, 'tls');
    const unsupported = (name: string, message: string) =>
      c.error('SIDECAR_INVALID', field(at, name), `sidecar: ${message}`);
    if ((tls.subjectAltNames?.length ?? 0) > 0)
      unsupported('subjectAltNames', 'subjectAltNames is not supported in ingress tls');
    if (tls.httpsRedirect === true) unsupported('httpsRedirect', 'httpsRedirect is not supported');
    if (tls.credentialName) unsupported('credentialName', 'credentialName is not currently supported');
    if ((tls.credentialNames?.length ?? 0) > 0)
      unsupported('credentialNames', 'credentialNames is not currently supported');
    if ((tls.tlsCertificates?.length ?? 0) > 0)
      unsupported('tlsCertificates', 'tls_certificates is not currently supported');
    if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH') {
      c.error(
        'TLS_INVALID',
        field(at, 'mode'),
        `configuration is invalid: cannot set mode to ${tls.mode} in sidecar ingress tls`,
      );
    }
    if (!isTlsProtocol(protocol))
      c.error('TLS_INVALID', at, 'server cannot have TLS settings for non HTTPS/TLS ports');
    checkServerTls(tls, at, c);
  }
  const pool = listener.connectionPool;
  if (pool !== undefined) {
    checkConnectionPool(pool, field(path, 'connectionPool'), c);
    if (pool.http !== undefined && !isHttpProtocol(protocol)) {
      c.warning(
        'SIDECAR_INVALID',
        nested(path, 'connectionPool.http'),
        `sidecar: HTTP connection pool settings are configured for port ${listener.port.number ?? 0} but its protocol is not HTTP (${listener.port.protocol ?? ''}); only TCP settings will apply`,
      );
    }
  }
}

function checkEgress(spec: SidecarSpec, c: FindingCollector): void {
  const egress = spec.egress ?? [];
  const ports = new Set<number>();
  const sockets = new Set<string>();
  let catchAll = false;
  egress.forEach((listener, i) => {
    const at = item('spec.egress', i);
    if (listener.port === undefined) {
      // The listener without a port catches everything not matched before; it can only come last.
      if (catchAll)
        c.error('SIDECAR_INVALID', at, 'sidecar: egress can have only one listener with empty port');
      else if (i !== egress.length - 1)
        c.error(
          'SIDECAR_INVALID',
          at,
          'sidecar: the egress listener with empty port should be the last listener in the list',
        );
      catchAll = true;
    } else {
      const portPath = field(at, 'port');
      const bind = listener.bind ?? '';
      const number = listener.port.number ?? 0;
      checkListenerPort(listener.port, portPath, c);
      if (number === 0) {
        if (!bind.startsWith(UNIX_PREFIX))
          c.error(
            'SIDECAR_INVALID',
            field(at, 'bind'),
            'sidecar: ports with 0 value must have a unix domain socket bind address',
          );
        else c.check('ADDRESS_INVALID', field(at, 'bind'), checkUnixAddress(bind.slice(UNIX_PREFIX.length)));
        if (
          listener.captureMode !== undefined &&
          listener.captureMode !== 'DEFAULT' &&
          listener.captureMode !== 'NONE'
        ) {
          c.error(
            'SIDECAR_INVALID',
            field(at, 'captureMode'),
            'sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners',
          );
        }
        if (sockets.has(bind))
          c.error(
            'SIDECAR_INVALID',
            field(at, 'bind'),
            'sidecar: unix domain socket values for listeners must be unique',
          );
        sockets.add(bind);
      } else {
        c.check('PORT_INVALID', field(portPath, 'number'), checkPort(number));
        if (bind !== '') c.check('ADDRESS_INVALID', field(at, 'bind'), checkIpAddress(bind));
        if (ports.has(number))
          c.error(
            'SIDECAR_INVALID',
            field(portPath, 'number'),
            'sidecar: ports on IP bound listeners must be unique',
          );
        ports.add(number);
      }
    }
    checkEgressHosts(listener.hosts, field(at, 'hosts'), c);
  });
}

/** Egress hosts are `namespace/dnsName`: `*` / `.` / `~` / a namespace, then a host or wildcard. */
function checkEgressHosts(hosts: readonly string[], path: string, c: FindingCollector): void {
  if (hosts.length === 0)
    c.error('SIDECAR_INVALID', path, 'sidecar: egress listener must contain at least one host');
  const byNamespace = new Map<string, Set<string>>();
  hosts.forEach((host, i) => {
    const at = item(path, i);
    for (const problem of checkNamespacedHost(host, false)) c.error('HOST_INVALID', at, problem);
    const slash = host.indexOf('/');
    if (slash === -1) return;
    const namespace = host.slice(0, slash);
    const name = host.slice(slash + 1);
    // `~ns1/*` takes ns1 out of what the other hosts import: it neither duplicates nor widens them.
    if (namespace.length > 1 && namespace.startsWith('~')) return;
    const names = byNamespace.get(namespace) ?? new Set<string>();
    if (names.has(name) || names.has('*') || (name === '*' && names.size > 0))
      c.warning('HOST_INVALID', at, `duplicated egress host: ${host}`);
    names.add(name);
    byNamespace.set(namespace, names);
  });
  if (byNamespace.get('*')?.has('*') === true && byNamespace.size > 1) {
    c.warning('HOST_INVALID', path, '`*/*` host select all resources, no other hosts can be added');
  }
}

function checkOutboundPolicy(policy: OutboundTrafficPolicy, path: string, c: FindingCollector): void {
  const proxy = policy.egressProxy;
  if (proxy === undefined) return;
  if (policy.mode !== 'ALLOW_ANY') {
    c.error(
      'SIDECAR_INVALID',
      field(path, 'egressProxy'),
      'sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode',
    );
    return;
  }
  const at = field(path, 'egressProxy');
  c.check('HOST_INVALID', field(at, 'host'), checkFqdn(proxy.host));
  if (proxy.port === undefined)
    c.error('SIDECAR_INVALID', field(at, 'port'), 'sidecar: egress_proxy port must be non-nil');
  else checkDestination(proxy, at, c);
}
