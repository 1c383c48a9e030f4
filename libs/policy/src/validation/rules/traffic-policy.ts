import type { ConnectionPoolSettings } from '../../api/common.js';
import type {
  ClientTLSSettings,
  LoadBalancerSettings,
  OutlierDetection,
  TrafficPolicy,
} from '../../api/networking/traffic-policy.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { checkFqdn } from './hosts.js';
import { checkLocalityLb } from './locality-lb.js';
import { checkDuration, checkPort, isIpAddress, parseDuration } from './primitives.js';

/** DestinationRule traffic policies (Istio's `validateTrafficPolicy` and the checks it calls). */

export function checkTrafficPolicy(policy: TrafficPolicy, path: string, c: FindingCollector): void {
  if (Object.keys(policy).length === 0) {
    c.error('TRAFFIC_POLICY_INVALID', path, 'traffic policy must have at least one field');
    return;
  }
  if (policy.tunnel !== undefined && policy.proxyProtocol !== undefined) {
    c.error('TRAFFIC_POLICY_INVALID', path, 'tunnel and proxyProtocol must not be set together');
    return;
  }
  checkPortPolicy(policy, path, c);
  policy.portLevelSettings?.forEach((portPolicy, i) => {
    const at = item(field(path, 'portLevelSettings'), i);
    if (portPolicy.port === undefined)
      c.error('TRAFFIC_POLICY_INVALID', field(at, 'port'), 'portTrafficPolicy must have valid port');
    else c.check('PORT_INVALID', nested(at, 'port.number'), checkPort(portPolicy.port.number ?? 0));
    const { port: _port, ...settings } = portPolicy;
    if (Object.keys(settings).length === 0)
      c.error('TRAFFIC_POLICY_INVALID', at, 'port traffic policy must have at least one field');
    else checkPortPolicy(settings, at, c);
  });
  const tunnel = policy.tunnel;
  if (tunnel !== undefined) {
    const at = field(path, 'tunnel');
    if (tunnel.protocol !== undefined && !['', 'CONNECT', 'POST'].includes(tunnel.protocol)) {
      c.error('TRAFFIC_POLICY_INVALID', field(at, 'protocol'), 'tunnel protocol must be "CONNECT" or "POST"');
    }
    if (checkFqdn(tunnel.targetHost) !== undefined && !isIpAddress(tunnel.targetHost)) {
      c.error(
        'HOST_INVALID',
        field(at, 'targetHost'),
        `tunnel target host must be valid FQDN or IP address: ${tunnel.targetHost}`,
      );
    }
    c.check('PORT_INVALID', field(at, 'targetPort'), checkPort(tunnel.targetPort));
  }
}

/** The settings a policy can also set per port. */
function checkPortPolicy(
  policy: Pick<TrafficPolicy, 'loadBalancer' | 'connectionPool' | 'outlierDetection' | 'tls'>,
  path: string,
  c: FindingCollector,
): void {
  if (policy.outlierDetection !== undefined)
    checkOutlierDetection(policy.outlierDetection, field(path, 'outlierDetection'), c);
  if (policy.connectionPool !== undefined)
    checkConnectionPool(policy.connectionPool, field(path, 'connectionPool'), c);
  if (policy.loadBalancer !== undefined)
    checkLoadBalancer(policy.loadBalancer, policy.outlierDetection, field(path, 'loadBalancer'), c);
  if (policy.tls !== undefined) checkClientTls(policy.tls, field(path, 'tls'), c);
}

function checkOutlierDetection(outlier: OutlierDetection, path: string, c: FindingCollector): void {
  for (const name of ['baseEjectionTime', 'interval'] as const) {
    const value = outlier[name];
    if (value !== undefined) c.check('DURATION_INVALID', field(path, name), checkDuration(value));
  }
  if ((outlier.consecutiveErrors ?? 0) !== 0) {
    c.warning(
      'DEPRECATED',
      field(path, 'consecutiveErrors'),
      'outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead',
    );
  }
  if (outlier.splitExternalLocalOriginErrors !== true && (outlier.consecutiveLocalOriginFailures ?? 0) > 0) {
    c.error(
      'TRAFFIC_POLICY_INVALID',
      field(path, 'consecutiveLocalOriginFailures'),
      'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
    );
  }
  for (const name of ['maxEjectionPercent', 'minHealthPercent'] as const) {
    const value = outlier[name] ?? 0;
    if (value < 0 || value > 100)
      c.error('PERCENT_INVALID', field(path, name), `percentage ${value} is not in range 0..100`);
  }
}

/** Connection pools: DestinationRule traffic policies and Sidecar inbound pools share these rules. */
export function checkConnectionPool(pool: ConnectionPoolSettings, path: string, c: FindingCollector): void {
  if (pool.http === undefined && pool.tcp === undefined) {
    c.error('TRAFFIC_POLICY_INVALID', path, 'connection pool must have at least one field');
    return;
  }
  const { http, tcp } = pool;
  if (http !== undefined) {
    const at = field(path, 'http');
    for (const name of [
      'http1MaxPendingRequests',
      'http2MaxRequests',
      'maxRequestsPerConnection',
      'maxRetries',
      'maxConcurrentStreams',
    ] as const) {
      if ((http[name] ?? 0) < 0)
        c.error('TRAFFIC_POLICY_INVALID', field(at, name), `${name} must be non-negative`);
    }
    if (http.idleTimeout !== undefined)
      c.check('DURATION_INVALID', field(at, 'idleTimeout'), checkDuration(http.idleTimeout));
    if (http.h2UpgradePolicy === 'UPGRADE' && http.useClientProtocol === true) {
      c.error(
        'TRAFFIC_POLICY_INVALID',
        field(at, 'useClientProtocol'),
        'use client protocol must not be true when H2UpgradePolicy is UPGRADE',
      );
    }
  }
  if (tcp !== undefined) {
    const at = field(path, 'tcp');
    if ((tcp.maxConnections ?? 0) < 0)
      c.error('TRAFFIC_POLICY_INVALID', field(at, 'maxConnections'), 'max connections must be non-negative');
    for (const name of ['connectTimeout', 'maxConnectionDuration'] as const) {
      const value = tcp[name];
      if (value !== undefined) c.check('DURATION_INVALID', field(at, name), checkDuration(value));
    }
    // `0s` disables the idle timeout altogether, so it is allowed here.
    if (tcp.idleTimeout !== undefined && parseDuration(tcp.idleTimeout) !== 0n) {
      c.check('DURATION_INVALID', field(at, 'idleTimeout'), checkDuration(tcp.idleTimeout));
    }
    for (const name of ['time', 'interval'] as const) {
      const value = tcp.tcpKeepalive?.[name];
      if (value !== undefined)
        c.check('DURATION_INVALID', field(field(at, 'tcpKeepalive'), name), checkDuration(value));
    }
  }
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0) return false;
  for (let f = 3; f * f <= n; f += 2) if (n % f === 0) return false;
  return true;
}

function checkLoadBalancer(
  lb: LoadBalancerSettings,
  outlier: OutlierDetection | undefined,
  path: string,
  c: FindingCollector,
): void {
  const hash = lb.consistentHash;
  if (hash !== undefined) {
    const at = field(path, 'consistentHash');
    if (hash.httpCookie !== undefined && hash.httpCookie.name === '')
      c.error('TRAFFIC_POLICY_INVALID', nested(at, 'httpCookie.name'), 'name required for HttpCookie');
    if ((hash.minimumRingSize ?? 0) !== 0) {
      c.warning(
        'DEPRECATED',
        field(at, 'minimumRingSize'),
        "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead",
      );
      if (hash.ringHash !== undefined || hash.maglev !== undefined) {
        c.error('ONE_OF', at, 'only one of MinimumRingSize or Maglev/Ringhash can be specified');
      }
    }
    if (hash.maglev !== undefined) {
      const size = hash.maglev.tableSize ?? 0;
      const where = nested(at, 'maglev.tableSize');
      if (size === 0) c.error('TRAFFIC_POLICY_INVALID', where, 'tableSize must be set for maglev');
      else if (size >= 5000011)
        c.error('TRAFFIC_POLICY_INVALID', where, 'tableSize must be less than 5000011 for maglev');
      else if (!isPrime(size))
        c.error('TRAFFIC_POLICY_INVALID', where, 'tableSize must be a prime number for maglev');
    }
  }
  if (lb.localityLbSetting !== undefined)
    checkLocalityLb(lb.localityLbSetting, outlier, field(path, 'localityLbSetting'), c);
  if (lb.warmup !== undefined)
    c.check('DURATION_INVALID', nested(path, 'warmup.duration'), checkDuration(lb.warmup.duration));
  if (lb.warmupDurationSecs !== undefined)
    c.check('DURATION_INVALID', field(path, 'warmupDurationSecs'), checkDuration(lb.warmupDurationSecs));
}

/** Client-side TLS (Istio's `ValidateTLS`). */
export function checkClientTls(tls: ClientTLSSettings, path: string, c: FindingCollector): void {
  if (tls.insecureSkipVerify === true) {
    if (
      tls.mode === 'SIMPLE' &&
      (tls.caCertificates || tls.credentialName || tls.subjectAltNames !== undefined)
    ) {
      c.error(
        'TLS_INVALID',
        path,
        'cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true',
      );
    }
    if (tls.mode === 'MUTUAL' && (tls.caCertificates || tls.subjectAltNames !== undefined)) {
      c.error(
        'TLS_INVALID',
        path,
        'cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true',
      );
    }
  }
  const remoteCredentials = (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && !!tls.credentialName;
  if (remoteCredentials) {
    if (tls.clientCertificate || tls.caCertificates || tls.privateKey || tls.caCrl) {
      c.error(
        'TLS_INVALID',
        path,
        'cannot specify client certificates or CA certificate or CA CRL If credentialName is set',
      );
    }
    return;
  }
  if (tls.mode === 'MUTUAL') {
    if (!tls.clientCertificate)
      c.error('TLS_INVALID', field(path, 'clientCertificate'), 'client certificate required for mutual tls');
    if (!tls.privateKey)
      c.error('TLS_INVALID', field(path, 'privateKey'), 'private key required for mutual tls');
  }
}
