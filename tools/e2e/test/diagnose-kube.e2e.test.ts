import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Pod } from '@kubernetes/client-node';
import { DEFAULT_INJECTION_VALUES, DEFAULT_INJECTOR_CONFIG, injectPod } from '@mesh/kube';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import {
  MeshProgram,
  programCommandLine,
  secureXdsAddress,
  startIstiod,
  type IstiodProcess,
  type LaunchedIstiodPorts,
} from '@mesh/launcher';
import { renderIstioCrds, validateMeshConfig } from '@mesh/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { containerEnv, expand, writeContainerVolumes } from './kube-pod-sidecar.js';
import { meshctl } from './processes.js';

/**
 * The diagnose commands on a real control plane (tools/kube-cluster; kwok runs the pods): tls-check,
 * authz check and describe pod read the cluster's Istio config, Services, EndpointSlices, Pods and the
 * `istio` ConfigMap's MeshConfig (its rootNamespace `mesh-root` holds the mesh-wide STRICT policy), and
 * answer with the evaluators istiod uses; proxy-status and proxy-config ask istiod, running beside the
 * cluster as an external control plane, about a Kubernetes-mode sidecar (the injected pod's
 * istio-proxy container run as a process, as kube-sidecar.e2e does).
 */

const pod = (name: string, app: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
  labels: { app: ${app}, security.istio.io/tlsMode: istio }
spec:
  serviceAccountName: ${app}
  containers: [{ name: app, image: registry.example/${app}:1, ports: [{ containerPort: 8080 }] }]
`;

/** oclif's error text, unwrapped from its ` ›   ` continuation lines. */
const oneLine = (text: string) => text.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');

const RESOURCES = `apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data: { mesh: "rootNamespace: mesh-root" }
---
${['frontend', 'backend', 'other', 'reviews']
  .map((sa) => `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: ${sa}, namespace: default }\n`)
  .join('---\n')}---
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec: { selector: { app: backend }, ports: [{ name: http, port: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec: { selector: { app: reviews }, ports: [{ name: http, port: 9080 }] }
---
${pod('frontend-0', 'frontend')}---
${pod('backend-0', 'backend')}---
${pod('other-0', 'other')}---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: mesh-strict, namespace: mesh-root }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-frontend-to-backend, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: [cluster.local/ns/default/sa/frontend] } }]
      to: [{ operation: { methods: [GET], paths: ['/api/*'] } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: default }
spec:
  host: backend
  trafficPolicy: { tls: { mode: DISABLE } }
`;

describe('the diagnose commands on a real cluster', () => {
  const dirs = ['e2e-diagnose-kube-config-', 'e2e-diagnose-kube-state-', 'e2e-diagnose-kube-root-'].map((p) =>
    mkdtempSync(join(tmpdir(), p)),
  );
  const [configDir, stateDir, sidecarRoot] = dirs as [string, string, string];
  let cluster: KubeCluster;
  let istiod: IstiodProcess;
  let istiodPorts: LaunchedIstiodPorts;
  let sidecar: MeshProgram<'mesh-proxy'> | undefined;
  const kubectl = async (...args: string[]) => (await cluster.runKubectl(args)).trim();
  const onCluster = (...args: string[]) => meshctl([...args, '--kubeconfig', cluster.kubeconfig]);
  const istiodUrl = () => `http://127.0.0.1:${istiodPorts.monitoringPort}`;

  async function eventually<T>(attempt: () => Promise<T | undefined> | T | undefined, what: string) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = await attempt();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** The pod istiod's webhook would make of reviews-v1, created; its istio-proxy run as a process. */
  async function startInjectedSidecar(): Promise<void> {
    const istiodAddress = secureXdsAddress('127.0.0.1', istiodPorts);
    const injected = injectPod({
      pod: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'reviews-v1', namespace: 'default', labels: { app: 'reviews', version: 'v1' } },
        spec: {
          serviceAccountName: 'reviews',
          containers: [
            { name: 'reviews', image: 'registry.example/reviews:1', ports: [{ containerPort: 9080 }] },
          ],
        },
      },
      namespace: 'default',
      config: DEFAULT_INJECTOR_CONFIG,
      values: { ...DEFAULT_INJECTION_VALUES, caAddress: istiodAddress },
      meshConfig: validateMeshConfig({ defaultConfig: { discoveryAddress: istiodAddress } }).meshConfig!,
      nativeSidecars: false,
    });
    await cluster.runKubectl(['create', '-f', '-'], JSON.stringify(injected.pod));
    await kubectl('wait', '--for=condition=Ready', 'pod/reviews-v1', '--timeout=120s');
    const created = JSON.parse(await kubectl('get', 'pod', 'reviews-v1', '-o', 'json')) as V1Pod;
    await eventually(
      () =>
        kubectl('get', 'configmap', 'istio-ca-root-cert').then(
          () => true,
          () => undefined,
        ),
      'the istio-ca-root-cert ConfigMap',
    );
    const container = created.spec!.containers.find((c) => c.name === 'istio-proxy')!;
    await writeContainerVolumes(cluster, created, container, sidecarRoot);
    const env = containerEnv(created, container);
    const args = (container.args ?? []).map((arg) => expand(arg, env));
    sidecar = new MeshProgram(
      'mesh-proxy',
      programCommandLine('mesh-proxy', [...args, '--bind-address', '127.0.43.1', '--admin-port', '0']),
      {
        name: 'istio-proxy of reviews-v1',
        cwd: sidecarRoot,
        env: { PATH: process.env['PATH'], ...env },
        logs: { memory: true },
        readyTimeoutMs: 60_000,
      },
    );
    await sidecar.ready;
  }

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    await cluster.runKubectl(['apply', '-f', '-'], renderIstioCrds());
    await kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');
    await kubectl('create', 'namespace', 'istio-system');
    await kubectl('create', 'namespace', 'mesh-root');
    await cluster.runKubectl(['apply', '-f', '-'], RESOURCES);
    for (const name of ['frontend-0', 'backend-0', 'other-0'])
      await kubectl('wait', '--for=jsonpath={.status.phase}=Running', `pod/${name}`, '--timeout=90s');
    // The backend's EndpointSlice, as the controller writes it once the pod has its IP.
    await eventually(async () => {
      const slices = await kubectl(
        'get',
        'endpointslices',
        '-l',
        'kubernetes.io/service-name=backend',
        '-o',
        'json',
      );
      return slices.includes('"backend-0"') ? true : undefined;
    }, 'the EndpointSlice of backend');
    // A generous readiness bound: the machine running this is shared, and istiod lists every kind first.
    istiod = startIstiod(
      { configDir, stateDir, kubeconfig: cluster.kubeconfig },
      { logs: { memory: true }, readyTimeoutMs: 90_000 },
    );
    istiodPorts = await istiod.ready;
    await startInjectedSidecar();
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await sidecar?.stop();
    await istiod?.stop();
    await cluster?.down();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('tls-check: the STRICT policy of the rootNamespace against the DISABLE DestinationRule is a CONFLICT', () => {
    const run = onCluster('tls-check', 'frontend', 'backend', '-o', 'json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as { source: string; rows: object[] };
    expect(result.source).toBe('cluster');
    expect(result.rows).toMatchObject([
      {
        host: 'backend.default.svc.cluster.local',
        status: 'CONFLICT',
        client: 'DISABLE',
        destinationRule: 'backend.default',
        endpoints: [{ workload: 'default/backend-0', server: 'STRICT', policy: 'mesh-strict.mesh-root' }],
      },
    ]);
  });

  it("authz check: frontend's GET /api/data is allowed by its policy, other is denied by default", () => {
    const allowed = onCluster(
      'authz',
      'check',
      'backend',
      '--from',
      'frontend',
      '--method',
      'GET',
      '--path',
      '/api/data',
    );
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('Decision: ALLOW');
    expect(allowed.stdout).toContain('allowed by allow-frontend-to-backend.default rule 0');
    const denied = onCluster('authz', 'check', 'backend-0', '--from', 'other', '--path', '/api/data');
    expect(denied.status).toBe(1);
    expect(denied.stdout).toContain('Decision: DENY');
    expect(denied.stdout).toContain('denied by default');
  });

  it('describe pod: the service, its DestinationRule and the mesh-wide mTLS of backend-0.default', () => {
    const run = onCluster('describe', 'pod', 'backend-0.default', '-o', 'json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      source: 'cluster',
      instance: 'backend-0',
      services: [
        {
          host: 'backend.default.svc.cluster.local',
          destinationRule: { name: 'backend.default', tlsMode: 'DISABLE' },
        },
      ],
      mtls: { mode: 'STRICT' },
    });
    expect(run.stdout).toContain('mesh-strict');
  });

  it("proxy-status and proxy-config: istiod's view of the Kubernetes sidecar, through --istiod", async () => {
    const synced = await eventually(() => {
      const run = onCluster('proxy-status', 'reviews-v1', '--istiod', istiodUrl(), '-o', 'json');
      return run.status === 0 ? run : undefined;
    }, 'reviews-v1 SYNCED');
    expect(JSON.parse(synced.stdout)).toMatchObject({
      proxies: [{ name: 'reviews-v1.default', connected: true, types: { CDS: 'SYNCED', LDS: 'SYNCED' } }],
      notSynced: 0,
    });
    const clusters = onCluster('proxy-config', 'cluster', 'reviews-v1', '--istiod', istiodUrl());
    expect(clusters.status).toBe(0);
    expect(clusters.stdout).toMatch(
      /^backend\.default\.svc\.cluster\.local\s+8080\s+-\s+outbound\s+\S+\s+backend\.default$/m,
    );
    expect(clusters.stdout).toMatch(/^reviews\.default\.svc\.cluster\.local\s+9080\s+-\s+outbound/m);
    const listeners = onCluster('proxy-config', 'listener', 'reviews-v1', '--istiod', istiodUrl());
    expect(listeners.status).toBe(0);
    expect(listeners.stdout).toContain('9080');
  });

  it('says how to reach istiod: no --istiod on a cluster, an istiod that does not answer', async () => {
    const missing = onCluster('proxy-status');
    expect(missing.status).toBe(2);
    expect(oneLine(missing.stderr)).toContain(
      "name istiod's monitoring address with --istiod http://HOST:15014",
    );
    // A port nobody listens on any more.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const refused = onCluster(
      'proxy-config',
      'cluster',
      'reviews-v1',
      '--istiod',
      `http://127.0.0.1:${port}`,
    );
    expect(refused.status).toBe(1);
    expect(oneLine(refused.stderr)).toContain(
      `istiod did not answer http://127.0.0.1:${port}/debug/syncz (ECONNREFUSED)`,
    );
  });
});
