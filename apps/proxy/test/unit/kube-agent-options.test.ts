import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseIstioAgentFlags } from '../../src/kube-agent/istio-agent-flags.js';
import { parseKubeAgentOptions } from '../../src/kube-agent/kube-agent-options.js';
import { UsageError } from '../../src/options.js';
import { proxyNode } from '../../src/xds/proxy-node.js';

/** The injected istio-proxy container's command line (libs/kube/src/injection/proxy-container.ts). */
const INJECTED_ARGS = [
  ...['sidecar', '--domain', 'bookinfo.svc.cluster.local', '--proxyLogLevel=warning'],
  ...['--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
];
const ENV = {
  POD_NAME: 'reviews-v1-5d8f7c9b4-x2x7k',
  POD_NAMESPACE: 'bookinfo',
  INSTANCE_IP: '10.244.0.7',
  SERVICE_ACCOUNT: 'bookinfo-reviews',
  PILOT_CERT_PROVIDER: 'istiod',
  CA_ADDR: 'istiod.istio-system.svc:15012',
  PROXY_CONFIG: JSON.stringify({ discoveryAddress: 'istiod.istio-system.svc:15012', proxyAdminPort: 15000 }),
  ISTIO_META_WORKLOAD_NAME: 'reviews-v1',
  ISTIO_META_CLUSTER_ID: 'Kubernetes',
};

describe('mesh-proxy proxy sidecar (the injected istio-proxy container)', () => {
  it("reads Istio's args and env, and pilot-agent's files relative to its working directory", () => {
    const root = mkdtempSync(join(tmpdir(), 'kube-agent-'));
    mkdirSync(join(root, 'etc/istio/pod'), { recursive: true });
    writeFileSync(join(root, 'etc/istio/pod/labels'), 'app="reviews"\nversion="v1"\n');
    const options = parseKubeAgentOptions(INJECTED_ARGS, ENV, root);
    expect(options).toMatchObject({
      podName: 'reviews-v1-5d8f7c9b4-x2x7k',
      namespace: 'bookinfo',
      serviceAccount: 'bookinfo-reviews',
      instanceIp: '10.244.0.7',
      labels: { app: 'reviews', version: 'v1' },
      xdsAddress: 'istiod.istio-system.svc:15012',
      xdsTls: true,
      caAddress: 'istiod.istio-system.svc:15012',
      caRootCertFile: join(root, 'var/run/secrets/istio/root-cert.pem'),
      tokenFile: join(root, 'var/run/secrets/tokens/istio-token'),
      capture: 'transparent',
      bindAddress: '0.0.0.0',
      logLevel: 'info',
      dnsDomain: 'bookinfo.svc.cluster.local',
    });
    expect(proxyNode(options).id).toBe(
      'sidecar~10.244.0.7~reviews-v1-5d8f7c9b4-x2x7k.bookinfo~bookinfo.svc.cluster.local',
    );
  });

  it("takes istiod from PROXY_CONFIG when CA_ADDR is unset, CA_ROOT_CA's root, and mesh-proxy's flags last", () => {
    const env = {
      ...ENV,
      CA_ADDR: '',
      CA_ROOT_CA: '/etc/custom/root.pem',
      PROXY_CONFIG: JSON.stringify({ discoveryAddress: '192.0.2.1:15443', proxyAdminPort: 15555 }),
    };
    const options = parseKubeAgentOptions(
      [...INJECTED_ARGS, '--bind-address', '127.0.0.9', '--admin-port', '0'],
      env,
      '/',
    );
    expect(options).toMatchObject({
      xdsAddress: '192.0.2.1:15443',
      xdsTls: true,
      caAddress: '192.0.2.1:15443',
      caRootCertFile: '/etc/custom/root.pem',
      bindAddress: '127.0.0.9',
      ports: { admin: 0 },
    });
    expect(parseKubeAgentOptions(INJECTED_ARGS, { ...env, CA_ROOT_CA: undefined }, '/').ports.admin).toBe(
      15555,
    );
  });

  it("serves pilot-agent's status port (ProxyConfig statusPort, 15020) with the pod's app probers", () => {
    const probers = JSON.stringify({
      '/app-health/reviews/readyz': { httpGet: { path: '/ready', port: 9080 } },
    });
    const options = parseKubeAgentOptions(
      [...INJECTED_ARGS, '--bind-address', '127.0.0.9'],
      { ...ENV, ISTIO_KUBE_APP_PROBERS: probers },
      '/',
    );
    expect(options.agentStatus).toMatchObject({ host: '127.0.0.9', port: 15020, appHost: '10.244.0.7' });
    expect(options.agentStatus.probers.get('/app-health/reviews/readyz')).toMatchObject({
      kind: 'httpGet',
      port: 9080,
      path: '/ready',
      timeoutMs: 1000,
    });
    const legacy = { ...ENV, REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION: 'true' };
    expect(parseKubeAgentOptions(INJECTED_ARGS, legacy, '/').agentStatus.appHost).toBe('127.0.0.1');
    const other = { ...ENV, PROXY_CONFIG: JSON.stringify({ statusPort: 15120 }) };
    expect(parseKubeAgentOptions(INJECTED_ARGS, other, '/').agentStatus.port).toBe(15120);
  });

  it('runs a gateway from "proxy router" (the gateway template): router~ node id, nothing captured', () => {
    const routerArgs = ['router', ...INJECTED_ARGS.slice(1)];
    const options = parseKubeAgentOptions(routerArgs, ENV, '/');
    expect(options).toMatchObject({
      capture: 'router',
      bindAddress: '0.0.0.0',
      caAddress: 'istiod.istio-system.svc:15012',
      tokenFile: '/var/run/secrets/tokens/istio-token',
      istiodServerNames: { xds: 'istiod.istio-system.svc', ca: 'istiod.istio-system.svc' },
      agentStatus: { port: 15020 },
    });
    expect(proxyNode(options).id).toBe(
      'router~10.244.0.7~reviews-v1-5d8f7c9b4-x2x7k.bookinfo~bookinfo.svc.cluster.local',
    );
  });

  it('uses the more verbose of the proxy and agent log levels', () => {
    expect(parseIstioAgentFlags(['sidecar', '--proxyLogLevel=debug']).logLevel).toBe('debug');
    expect(
      parseIstioAgentFlags(['sidecar', '--proxyLogLevel', 'off', '--log_output_level=error']).logLevel,
    ).toBe('error');
    expect(parseIstioAgentFlags(['sidecar', '--log_output_level=ads:debug,default:warn']).logLevel).toBe(
      'warn',
    );
  });

  it.each([
    [['ingress'], /expected the proxy type "sidecar" or "router" first/],
    [[], /got nothing/],
    [['sidecar', '--concurrency', '2'], /--concurrency: a pilot-agent flag mesh-proxy does not implement/],
    [['sidecar', '--meshConfig=/etc/istio/config/mesh'], /--meshConfig: a pilot-agent flag/],
    [['sidecar', '--proxyLogLevel=loud'], /--proxyLogLevel: "loud" in "loud" is not one of trace, debug/],
    [['sidecar', '--log_output_level=default:chatty'], /--log_output_level: "chatty"/],
    [['sidecar', '--domain'], /--domain: needs a value/],
    [['sidecar', '--no-such-flag'], /Unknown option '--no-such-flag'/],
  ])('refuses %j clearly', (args, message) => {
    expect(() => parseKubeAgentOptions(args, ENV, '/')).toThrow(message);
    expect(() => parseKubeAgentOptions(args, ENV, '/')).toThrow(UsageError);
  });

  it('refuses a PROXY_CONFIG that is not a valid ProxyConfig, naming the field', () => {
    expect(() => parseKubeAgentOptions(INJECTED_ARGS, { ...ENV, PROXY_CONFIG: '{' }, '/')).toThrow(
      /PROXY_CONFIG: not YAML or JSON of a ProxyConfig/,
    );
    expect(() =>
      parseKubeAgentOptions(INJECTED_ARGS, { ...ENV, PROXY_CONFIG: '{"proxyAdminPort":"x"}' }, '/'),
    ).toThrow(/PROXY_CONFIG: proxyAdminPort/);
    expect(() =>
      parseKubeAgentOptions(
        INJECTED_ARGS,
        { ...ENV, PROXY_CONFIG: 'statusPort: 15020\nterminationDrainDuration: 5 seconds\n' },
        '/',
      ),
    ).toThrow(/PROXY_CONFIG: terminationDrainDuration/);
    expect(() => parseKubeAgentOptions(INJECTED_ARGS, { ...ENV, PROXY_CONFIG: '- 1' }, '/')).toThrow(
      'PROXY_CONFIG: (root): must be a mapping of ProxyConfig fields',
    );
  });

  it('takes PROXY_CONFIG as YAML too, drains for terminationDrainDuration, and names the fields it does not apply', () => {
    const yaml = [
      'discoveryAddress: 192.0.2.1:15012',
      'terminationDrainDuration: 1m30s',
      'drainDuration: 45s',
      'concurrency: 2',
      'holdApplicationUntilProxyStarts: true',
    ].join('\n');
    const options = parseKubeAgentOptions(INJECTED_ARGS, { ...ENV, CA_ADDR: '', PROXY_CONFIG: yaml }, '/');
    expect(options.xdsAddress).toBe('192.0.2.1:15012');
    expect(options.drainSeconds).toBe(90);
    expect(options.proxyConfigUnapplied).toEqual(['drainDuration', 'concurrency']);
    // Without it, mesh-proxy's own default; mesh-proxy's own flag still wins over PROXY_CONFIG.
    expect(parseKubeAgentOptions(INJECTED_ARGS, ENV, '/').drainSeconds).toBe(5);
    expect(parseKubeAgentOptions(INJECTED_ARGS, ENV, '/').proxyConfigUnapplied).toEqual([]);
    const own = parseKubeAgentOptions(
      [...INJECTED_ARGS, '--drain-duration', '2s'],
      { ...ENV, PROXY_CONFIG: yaml },
      '/',
    );
    expect(own.drainSeconds).toBe(2);
  });

  it("refuses the CA on istiod's plaintext port and a certificate provider other than istiod", () => {
    expect(() =>
      parseKubeAgentOptions(INJECTED_ARGS, { ...ENV, CA_ADDR: 'istiod.istio-system.svc:15010' }, '/'),
    ).toThrow(/CA_ADDR: .*plaintext port/);
    expect(() =>
      parseKubeAgentOptions(INJECTED_ARGS, { ...ENV, PILOT_CERT_PROVIDER: 'kubernetes' }, '/'),
    ).toThrow(/PILOT_CERT_PROVIDER: "kubernetes" is not implemented/);
  });

  it('refuses a podinfo labels file it cannot read', () => {
    const root = mkdtempSync(join(tmpdir(), 'kube-agent-'));
    mkdirSync(join(root, 'etc/istio/pod'), { recursive: true });
    writeFileSync(join(root, 'etc/istio/pod/labels'), 'app=reviews\n');
    expect(() => parseKubeAgentOptions(INJECTED_ARGS, ENV, root)).toThrow(
      /labels: "app=reviews" is not a downward-API label line/,
    );
  });
});
