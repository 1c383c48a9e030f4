import { describe, expect, it } from 'vitest';

import { connectionLimitFor, defaultConnectionLimit } from '../../src/listeners/downstream-limits.js';
import { parseProxyOptions, UsageError } from '../../src/options.js';

/** How the proxy reads its settings: the injected container's environment, or flags on the local platform. */

const POD_ENV = { POD_NAME: 'reviews-v1-1', POD_NAMESPACE: 'default', INSTANCE_IP: '10.0.1.1' };

function usageError(argv: string[], env: NodeJS.ProcessEnv = POD_ENV): UsageError {
  try {
    parseProxyOptions(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('PROXY_USAGE');
    return err as UsageError;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseProxyOptions', () => {
  it("has Istio's defaults for an injected sidecar", () => {
    expect(parseProxyOptions([], POD_ENV)).toEqual({
      podName: 'reviews-v1-1',
      namespace: 'default',
      serviceAccount: 'default',
      instanceIp: '10.0.1.1',
      labels: {},
      trustDomain: 'cluster.local',
      xdsAddress: 'istiod.istio-system.svc:15012',
      xdsTls: true,
      xdsProtocol: 'delta',
      caAddress: 'istiod.istio-system.svc:15012',
      caRenewalAddress: 'istiod.istio-system.svc:15012',
      caRootCertFile: '/var/run/secrets/istio/root-cert.pem',
      istioNamespace: 'istio-system',
      tokenFile: '/var/run/secrets/tokens/istio-token',
      capture: 'transparent',
      inboundPorts: new Map(),
      localCallers: 'same-user',
      bindAddress: '0.0.0.0',
      ports: { admin: 15000, outbound: 15001, inbound: 15006, status: 15021, stats: 15090 },
      extraMetadata: {},
      accessLogFile: '',
      drainSeconds: 5,
      logLevel: 'info',
      downstreamLimits: {
        listenerFiltersTimeoutMs: 5_000,
        tlsHandshakeTimeoutMs: 10_000,
        requestHeadersTimeoutMs: 10_000,
        idleTimeoutMs: 3_600_000,
        maxConnectionsPerListener: defaultConnectionLimit(),
      },
    });
  });

  it("reads the injected container's environment", () => {
    const options = parseProxyOptions([], {
      ...POD_ENV,
      SERVICE_ACCOUNT: 'bookinfo-reviews',
      TRUST_DOMAIN: 'example.org',
      PILOT_DISCOVERY_ADDRESS: 'istiod.istio-system.svc:15010',
      CA_ADDR: 'istiod-ca.istio-system.svc:15012',
      CA_ROOT_CA: '/etc/istio/root-cert.pem',
      ISTIO_METAJSON_LABELS: '{"app":"reviews","version":"v1","replicas":2}',
      ISTIO_META_CLUSTER_ID: 'Kubernetes',
      ISTIO_META_WORKLOAD_NAME: 'reviews-v1',
    });
    expect(options).toMatchObject({
      serviceAccount: 'bookinfo-reviews',
      trustDomain: 'example.org',
      xdsAddress: 'istiod.istio-system.svc:15010',
      xdsTls: false,
      caAddress: 'istiod-ca.istio-system.svc:15012',
      caRenewalAddress: 'istiod-ca.istio-system.svc:15012',
      caRootCertFile: '/etc/istio/root-cert.pem',
      labels: { app: 'reviews', version: 'v1', replicas: '2' },
      extraMetadata: { CLUSTER_ID: 'Kubernetes', WORKLOAD_NAME: 'reviews-v1' },
    });
  });

  it('lets flags win over the environment', () => {
    const env = {
      ...POD_ENV,
      SERVICE_ACCOUNT: 'from-env',
      TRUST_DOMAIN: 'env.example',
      PILOT_DISCOVERY_ADDRESS: 'env-istiod:15010',
      CA_ADDR: 'env-ca:15012',
      ISTIO_METAJSON_LABELS: '{"app":"from-env"}',
    };
    const argv = [
      ...['--pod-name', 'flag-pod', '--namespace', 'flag-ns', '--instance-ip', '127.0.0.9'],
      ...['--service-account', 'flag-sa', '--trust-domain', 'flag.example'],
      ...[
        '--xds-address',
        '127.0.0.1:15010',
        '--ca-address',
        '127.0.0.1:15012',
        '--ca-renewal-address',
        '127.0.0.1:15013',
      ],
      ...['--labels', 'app=reviews, version = v2,,'],
    ];
    expect(parseProxyOptions(argv, env)).toMatchObject({
      podName: 'flag-pod',
      namespace: 'flag-ns',
      instanceIp: '127.0.0.9',
      serviceAccount: 'flag-sa',
      trustDomain: 'flag.example',
      xdsAddress: '127.0.0.1:15010',
      xdsTls: false,
      caAddress: '127.0.0.1:15012',
      caRenewalAddress: '127.0.0.1:15013',
      labels: { app: 'reviews', version: 'v2' },
    });
  });

  it('turns mTLS to istiod on with --xds-tls whatever the port', () => {
    expect(parseProxyOptions(['--xds-address', '127.0.0.1:15010', '--xds-tls'], POD_ENV).xdsTls).toBe(true);
  });

  it("binds explicit mode to the workload's address and maps inbound ports to the application", () => {
    const argv = [
      '--capture',
      'explicit',
      '--inbound',
      '9080=127.0.0.5:40000',
      '--inbound',
      '9090=app.local:40001',
    ];
    const options = parseProxyOptions(argv, POD_ENV);
    expect(options.bindAddress).toBe('10.0.1.1');
    expect(options.inboundPorts).toEqual(
      new Map([
        [9080, { host: '127.0.0.5', port: 40_000 }],
        [9090, { host: 'app.local', port: 40_001 }],
      ]),
    );
    expect(parseProxyOptions([...argv, '--bind-address', '0.0.0.0'], POD_ENV).bindAddress).toBe('0.0.0.0');
  });

  it('reads ports, durations, the access log and the log level', () => {
    const argv = [
      ...['--admin-port', '25000', '--outbound-port', '25001', '--inbound-port', '25006'],
      ...['--status-port', '25021', '--stats-port', '25090', '--drain-duration', '250ms'],
      ...['--access-log', '/dev/stdout', '--log-level', 'debug', '--xds-protocol', 'sotw'],
    ];
    expect(parseProxyOptions(argv, POD_ENV)).toMatchObject({
      ports: { admin: 25_000, outbound: 25_001, inbound: 25_006, status: 25_021, stats: 25_090 },
      drainSeconds: 0.25,
      accessLogFile: '/dev/stdout',
      logLevel: 'debug',
      xdsProtocol: 'sotw',
    });
    expect(parseProxyOptions(['--drain-duration', '2.5s'], POD_ENV).drainSeconds).toBe(2.5);
  });

  it('reads the downstream timeouts and the connection limit', () => {
    const argv = [
      ...['--listener-filters-timeout', '500ms', '--tls-handshake-timeout', '2s'],
      ...['--request-headers-timeout', '1.5s', '--idle-timeout', '10m', '--max-connections', '300'],
    ];
    expect(parseProxyOptions(argv, POD_ENV).downstreamLimits).toEqual({
      listenerFiltersTimeoutMs: 500,
      tlsHandshakeTimeoutMs: 2_000,
      requestHeadersTimeoutMs: 1_500,
      idleTimeoutMs: 600_000,
      maxConnectionsPerListener: 300,
    });
  });

  it('derives the connection limit from the open-file limit, keeping room for the rest', () => {
    expect(connectionLimitFor(20_000)).toBe(2_500);
    expect(connectionLimitFor(256)).toBe(64);
    expect(connectionLimitFor(undefined)).toBe(4_096);
  });

  it.each([
    [['--admin-port', '99999'], '--admin-port: "99999" is not a port number'],
    [['--status-port=http'], '--status-port: "http" is not a port number'],
    [['--stats-port', '15090.5'], '--stats-port: "15090.5" is not a port number'],
    [['--labels', 'app'], '--labels: "app" is not key=value'],
    [['--labels', 'app=reviews,=v1'], '--labels: "=v1" is not key=value'],
    [['--capture', 'tproxy'], '--capture: "tproxy" is not transparent, explicit or router'],
    [['--xds-protocol', 'grpc'], '--xds-protocol: "grpc" is not delta or sotw'],
    [['--local-callers', 'everyone'], '--local-callers: "everyone" is not same-user or any'],
    [['--inbound', '9080'], '--inbound: "9080" is not APP_PORT=HOST:PORT'],
    [['--inbound', '9080=127.0.0.5'], '--inbound: "9080=127.0.0.5" is not APP_PORT=HOST:PORT'],
    [['--inbound', '9080=127.0.0.5:70000'], '--inbound: "70000" is not a port number'],
    [['--drain-duration', '5'], '--drain-duration: "5" is not a duration like 500ms, 5s, 10m or 1h'],
    [['--idle-timeout', '0s'], '--idle-timeout: "0s" must be longer than 0'],
    [
      ['--request-headers-timeout', '1d'],
      '--request-headers-timeout: "1d" is not a duration like 500ms, 5s, 10m or 1h',
    ],
    [['--max-connections', '0'], '--max-connections: "0" is not a positive number'],
  ])('refuses %j: %s', (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });

  it.each([
    [{ POD_NAMESPACE: 'default', INSTANCE_IP: '10.0.1.1' }, '--pod-name (or POD_NAME) is required'],
    [{ POD_NAME: 'p', INSTANCE_IP: '10.0.1.1' }, '--namespace (or POD_NAMESPACE) is required'],
    [{ POD_NAME: 'p', POD_NAMESPACE: 'default' }, '--instance-ip (or INSTANCE_IP) is required'],
    [
      { ...POD_ENV, ISTIO_METAJSON_LABELS: 'app=reviews' },
      'ISTIO_METAJSON_LABELS: not a JSON object of labels',
    ],
    [
      { ...POD_ENV, ISTIO_METAJSON_LABELS: '["reviews"]' },
      'ISTIO_METAJSON_LABELS: not a JSON object of labels',
    ],
  ])('refuses the environment %o: %s', (env, message) => {
    expect(usageError([], env).message).toBe(message);
  });

  it('refuses unknown flags and stray arguments, naming them', () => {
    expect(usageError(['--pod', 'x']).message).toContain("'--pod'");
    expect(usageError(['reviews']).message).toContain("'reviews'");
  });
});
