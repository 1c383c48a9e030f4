import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Pod } from '@kubernetes/client-node';
import { DEFAULT_INJECTION_VALUES, DEFAULT_INJECTOR_CONFIG, injectPod, type PodLike } from '@mesh/kube';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { LaunchError, MeshProgram, programCommandLine, secureXdsAddress } from '@mesh/launcher';
import { renderIstioCrds, validateMeshConfig } from '@mesh/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { containerEnv, expand, writeContainerVolumes } from './kube-pod-sidecar.js';
import { startIstiodProcess, type IstiodProcess } from './processes.js';

const SERVICE = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: reviews, namespace: default }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ratings, namespace: default }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ingressgateway, namespace: default }
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec:
  selector: { app: reviews }
  ports: [{ name: http, port: 9080 }]
`;

/** A secret of Envoy's SecretsConfigDump, as far as this test reads it. */
interface SecretDump {
  name: string;
  secret: { tls_certificate?: { certificate_chain: { inline_bytes: string } } };
}

/** The pod, its app's readiness probe on `probePort` (where the test's app server listens). */
const reviewsPod = (probePort: number): PodLike => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'reviews-v1', namespace: 'default', labels: { app: 'reviews', version: 'v1' } },
  spec: {
    serviceAccountName: 'reviews',
    containers: [
      {
        name: 'reviews',
        image: 'registry.example/reviews:1',
        ports: [{ containerPort: 9080 }],
        readinessProbe: { httpGet: { path: '/ready', port: probePort }, periodSeconds: 5 },
      },
    ],
  },
});

/**
 * The sidecar in Kubernetes mode (issue 16 item 5): a pod injected by the same pure function as
 * istiod's webhook, created in a real cluster (kwok runs it), and its `istio-proxy` container run as a
 * process beside the cluster with exactly that container's arguments and environment — the downward
 * API resolved from the pod as the API server has it, and the pod's volumes (a token the API server
 * made for the pod with the volume's audience `istio-ca`, the `istio-ca-root-cert` ConfigMap istiod
 * keeps, the podinfo labels) under a directory that is the process's `/`. istiod is outside the
 * cluster (`--kubeconfig`), so `global.caAddress` and `defaultConfig.discoveryAddress` point at it, as
 * Istio's external-control-plane values do.
 */
describe('mesh-proxy as the injected istio-proxy container', () => {
  const dirs = ['e2e-kube-sidecar-config-', 'e2e-kube-sidecar-state-'].map((p) =>
    mkdtempSync(join(tmpdir(), p)),
  );
  const [configDir, stateDir] = dirs as [string, string];
  let cluster: KubeCluster;
  let istiod: IstiodProcess;
  let pod: V1Pod;
  // The app's readiness as the pod's probe sees it; kwok runs no containers, so the test is the app.
  let appReady = true;
  const appServer = createServer((req, res) => {
    res.writeHead(req.url === '/ready' && appReady ? 200 : 503).end();
  });
  const proxies: MeshProgram<'mesh-proxy'>[] = [];

  const kubectl = async (...args: string[]) => (await cluster.runKubectl(args)).trim();

  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * Starts the pod's istio-proxy container as a process: its args and env, its volumes under a new
   * root, `replaceToken` standing in for the projected token when given. Only mesh-proxy's own
   * `--bind-address` and `--admin-port` are added: outside a pod, its ports 15001/15006/15021/15090
   * need an address of their own, and its admin port a free one.
   */
  async function startSidecar(bindAddress: string, replaceToken?: string, of: V1Pod = pod) {
    const container = of.spec!.containers.find((c) => c.name === 'istio-proxy')!;
    const root = mkdtempSync(join(tmpdir(), 'e2e-kube-sidecar-root-'));
    dirs.push(root);
    const files = await writeContainerVolumes(cluster, of, container, root);
    expect(files).toEqual(
      expect.arrayContaining([
        '/var/run/secrets/tokens/istio-token',
        '/var/run/secrets/istio/root-cert.pem',
        '/etc/istio/pod/labels',
      ]),
    );
    if (replaceToken !== undefined)
      writeFileSync(join(root, 'var/run/secrets/tokens/istio-token'), replaceToken, { mode: 0o600 });
    const env = containerEnv(of, container);
    const args = (container.args ?? []).map((arg) => expand(arg, env));
    const proxy = new MeshProgram(
      'mesh-proxy',
      programCommandLine('mesh-proxy', [...args, '--bind-address', bindAddress, '--admin-port', '0']),
      {
        name: `istio-proxy of ${of.metadata!.name}`,
        cwd: root,
        env: { PATH: process.env['PATH'], ...env },
        logs: { memory: true },
        readyTimeoutMs: 60_000,
      },
    );
    proxies.push(proxy);
    return { proxy, args, env };
  }

  /** Injects the pod as istiod's webhook would, creates it and returns it once kwok has it Ready. */
  async function createInjectedPod(podLike: PodLike): Promise<V1Pod> {
    const istiodAddress = secureXdsAddress('127.0.0.1', istiod.ports);
    const injected = injectPod({
      pod: podLike,
      namespace: 'default',
      config: DEFAULT_INJECTOR_CONFIG,
      values: { ...DEFAULT_INJECTION_VALUES, caAddress: istiodAddress },
      // Outside a pod the pod's IP is not local: the app is probed on localhost, pilot-agent's legacy mode.
      meshConfig: validateMeshConfig({
        defaultConfig: {
          discoveryAddress: istiodAddress,
          proxyMetadata: { REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION: 'true' },
        },
      }).meshConfig!,
      nativeSidecars: false,
    });
    expect(injected.decision.inject).toBe(true);
    const name = podLike.metadata!.name!;
    await cluster.runKubectl(['create', '-f', '-'], JSON.stringify(injected.pod));
    await kubectl('wait', '--for=condition=Ready', `pod/${name}`, '--timeout=120s');
    return JSON.parse(await kubectl('get', 'pod', name, '-o', 'json')) as V1Pod;
  }

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    await cluster.runKubectl(['apply', '-f', '-'], renderIstioCrds());
    await kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');
    await kubectl('create', 'namespace', 'istio-system');
    await cluster.runKubectl(['apply', '-f', '-'], SERVICE);
    istiod = await startIstiodProcess({ configDir, stateDir, kubeconfig: cluster.kubeconfig });
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    pod = await createInjectedPod(reviewsPod((appServer.address() as AddressInfo).port));
    // istiod writes its root into every namespace; the pod mounts it from there.
    await eventually(
      () =>
        kubectl('get', 'configmap', 'istio-ca-root-cert').then(
          () => true,
          () => false,
        ),
      'the istio-ca-root-cert ConfigMap',
    );
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await istiod?.stop();
    appServer.close();
    await cluster?.down();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('gets its certificate with the projected token, becomes ready and receives the Service', async () => {
    const { proxy, args, env } = await startSidecar('127.0.42.1');
    const podIp = pod.status!.podIP!;
    expect(args.slice(0, 4)).toEqual(['proxy', 'sidecar', '--domain', 'default.svc.cluster.local']);
    expect(env).toMatchObject({ POD_NAME: 'reviews-v1', POD_NAMESPACE: 'default', INSTANCE_IP: podIp });

    const { adminPort } = await proxy.ready;
    const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`);
    expect((await fetch('http://127.0.42.1:15021/healthz/ready')).status).toBe(200);

    const certs = (await (await admin('/certs')).json()) as {
      certificates: { cert_chain: { subject_alt_names: { uri?: string }[] }[] }[];
    };
    expect(certs.certificates[0]!.cert_chain[0]!.subject_alt_names).toEqual([
      { uri: 'spiffe://cluster.local/ns/default/sa/reviews' },
    ]);
    // The workload certificate (SDS `default` in the config dump), checked by openssl against the root
    // the pod mounted from the istio-ca-root-cert ConfigMap.
    const dumpJson = (await (await admin('/config_dump')).json()) as {
      configs: { dynamic_active_secrets?: SecretDump[] }[];
    };
    const dump = JSON.stringify(dumpJson);
    const chainBase64 = dumpJson.configs
      .flatMap((c) => c.dynamic_active_secrets ?? [])
      .find((s) => s.name === 'default')?.secret.tls_certificate?.certificate_chain.inline_bytes;
    expect(chainBase64).toBeDefined();
    const chainFile = join(dirs[0]!, 'cert-chain.pem');
    writeFileSync(chainFile, Buffer.from(chainBase64!, 'base64'));
    const rootFile = join(dirs[0]!, 'root-cert.pem');
    const root = JSON.parse(await kubectl('get', 'configmap', 'istio-ca-root-cert', '-o', 'json')) as {
      data: Record<string, string>;
    };
    writeFileSync(rootFile, root.data['root-cert.pem']!);
    const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8', timeout: 15_000 });
    expect(openssl('verify', '-CAfile', rootFile, chainFile).stdout).toContain(`${chainFile}: OK`);
    expect(openssl('x509', '-in', chainFile, '-noout', '-ext', 'subjectAltName').stdout).toContain(
      'URI:spiffe://cluster.local/ns/default/sa/reviews',
    );

    expect(dump).toContain(`"id":"sidecar~${podIp}~reviews-v1.default~default.svc.cluster.local"`);
    expect(dump).toContain('outbound|9080||reviews.default.svc.cluster.local');
    expect(dump).toContain('0.0.0.0_9080');
  });

  it('is refused a certificate with a token of another service account, and says so', async () => {
    const token = await kubectl('create', 'token', 'ratings', '--audience', 'istio-ca');
    const { proxy } = await startSidecar('127.0.42.2', token);
    const failure = await proxy.ready.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(LaunchError);
    expect(String(failure)).toMatch(/PERMISSION_DENIED/);
    expect(String(failure)).toMatch(/ratings/);
  });

  it('is refused a certificate with a token for another audience, and says so', async () => {
    const token = await kubectl('create', 'token', 'reviews', '--audience', 'vault');
    const { proxy } = await startSidecar('127.0.42.3', token);
    const failure = await proxy.ready.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(LaunchError);
    expect(String(failure)).toMatch(/UNAUTHENTICATED.*audience/);
  });

  it("answers the pod's rewritten app probe on 15020 as the app does, and serves its metrics there", async () => {
    const { proxy } = await startSidecar('127.0.42.4');
    await proxy.ready;
    const container = pod.spec!.containers.find((c) => c.name === 'reviews')!;
    expect(container.readinessProbe?.httpGet).toEqual({
      path: '/app-health/reviews/readyz',
      port: 15020,
      scheme: 'HTTP',
    });
    const probe = () => fetch('http://127.0.42.4:15020/app-health/reviews/readyz');
    expect((await probe()).status).toBe(200);
    appReady = false;
    expect((await probe()).status).toBe(503);
    appReady = true;
    expect((await probe()).status).toBe(200);
    expect((await fetch('http://127.0.42.4:15020/app-health/reviews/livez')).status).toBe(404);
    expect((await fetch('http://127.0.42.4:15020/healthz/ready')).status).toBe(200);
    const metrics = await fetch(
      `http://127.0.42.4:${pod.metadata!.annotations!['prometheus.io/port']}/stats/prometheus`,
    );
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('istio_agent_cert_expiry_seconds');
    // The app down: the probe fails with pilot-agent's 500.
    await new Promise((resolve) => appServer.close(resolve));
    expect((await probe()).status).toBe(500);
  });

  it('runs a gateway pod (the gateway template, "proxy router"): its certificate, router~ node, ready', async () => {
    const gateway = await createInjectedPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'ingressgateway',
        namespace: 'default',
        labels: { istio: 'ingressgateway' },
        annotations: { 'inject.istio.io/templates': 'gateway' },
      },
      // The gateway chart's pod: its own istio-proxy, image "auto", filled in by the injector.
      spec: { serviceAccountName: 'ingressgateway', containers: [{ name: 'istio-proxy', image: 'auto' }] },
    });
    const { proxy, args } = await startSidecar('127.0.42.5', undefined, gateway);
    expect(args.slice(0, 2)).toEqual(['proxy', 'router']);
    const { adminPort } = await proxy.ready;
    expect((await fetch('http://127.0.42.5:15020/healthz/ready')).status).toBe(200);
    const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`);
    const certs = (await (await admin('/certs')).json()) as {
      certificates: { cert_chain: { subject_alt_names: { uri?: string }[] }[] }[];
    };
    expect(certs.certificates[0]!.cert_chain[0]!.subject_alt_names).toEqual([
      { uri: 'spiffe://cluster.local/ns/default/sa/ingressgateway' },
    ]);
    const dump = JSON.stringify(await (await admin('/config_dump')).json());
    expect(dump).toContain(
      `"id":"router~${gateway.status!.podIP!}~ingressgateway.default~default.svc.cluster.local"`,
    );
  });
});
