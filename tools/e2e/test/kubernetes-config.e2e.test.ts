import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startIstiodProcess, type IstiodProcess } from './processes.js';

const BASE_CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'base');

const REVIEWS = `
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec:
  selector: { app: reviews }
  ports: [{ name: http, port: 9080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: reviews } }
  template:
    metadata: { labels: { app: reviews } }
    spec:
      containers: [{ name: reviews, image: registry.example/reviews:1, ports: [{ containerPort: 9080 }] }]
`;

const workloadEntry = (name: string, address: string) => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: ${name}, namespace: default }
spec: { address: ${address}, labels: { app: reviews } }
`;

/** The CRD's schema takes an all-zero split; Istio's semantic validation does not (istiod must). */
const ZERO_WEIGHTS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bad-split, namespace: default }
spec:
  hosts: [reviews]
  http:
    - route:
        - { destination: { host: reviews }, weight: 0 }
        - { destination: { host: reviews }, weight: 0 }
`;

/** A VirtualService whose timeout the CRD's own CEL rule refuses (charts/base, `duration(self) >= 1ms`). */
const ZERO_TIMEOUT = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: zero-timeout, namespace: default }
spec: { hosts: [reviews], http: [{ route: [{ destination: { host: reviews } }], timeout: 0s }] }
`;

/**
 * istiod started with `--kubeconfig` against a real control plane (tools/kube-cluster) with the Istio
 * CRDs installed by `helm install` of charts/base: it reads Services, Pods, EndpointSlices and Istio
 * resources, follows what kubectl and the controllers change, and keeps what Istio refuses out.
 */
describe('istiod reading config from Kubernetes', () => {
  const dirs = ['e2e-kube-config-', 'e2e-kube-state-'].map((p) => mkdtempSync(join(tmpdir(), p)));
  const [configDir, stateDir] = dirs as [string, string];
  let cluster: KubeCluster;
  let istiod: IstiodProcess;

  const debug = async <T>(path: string): Promise<T> =>
    (await (await fetch(`http://127.0.0.1:${istiod.ports.monitoringPort}${path}`)).json()) as T;
  const reviewsEndpoints = async () => {
    const registry =
      await debug<{ hostname: string; endpoints: Record<string, { address: string; port: number }[]> }[]>(
        '/debug/registryz',
      );
    return (registry.find((s) => s.hostname === 'reviews.default.svc.cluster.local')?.endpoints['9080'] ?? [])
      .map((e) => e.address)
      .sort();
  };
  const reviewsPodIps = async () =>
    (
      JSON.parse(await cluster.runKubectl(['get', 'pods', '-l', 'app=reviews', '-o', 'json'])) as {
        items: { status: { podIP?: string } }[];
      }
    ).items
      .map((p) => p.status.podIP)
      .filter((ip): ip is string => ip !== undefined);

  /** Waits (at most 60 s: the controllers and istiod's watches act on two busy cores) for `check`. */
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    await cluster.runHelm([
      'install',
      'istio-base',
      BASE_CHART,
      '--namespace',
      'istio-system',
      '--create-namespace',
      '--wait',
      '--timeout',
      '2m',
    ]);
    await cluster.runKubectl(
      ['apply', '-f', '-'],
      REVIEWS + '---' + workloadEntry('reviews-vm-1', '10.1.1.1'),
    );
    await cluster.runKubectl(['rollout', 'status', 'deployment/reviews', '--timeout=120s']);
    istiod = await startIstiodProcess({ configDir, stateDir, kubeconfig: cluster.kubeconfig });
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await istiod?.stop();
    await cluster?.down();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('builds services and endpoints from Services, Pods, EndpointSlices and WorkloadEntries', async () => {
    const expected = [...(await reviewsPodIps()), '10.1.1.1'].sort();
    expect(expected).toHaveLength(3);
    await eventually(async () => (await reviewsEndpoints()).length === 3, 'the reviews endpoints');
    expect(await reviewsEndpoints()).toEqual(expected);
    const configz = await debug<{ resources: { kind: string; name: string }[] }>('/debug/configz');
    const kinds = new Set(configz.resources.map((r) => r.kind));
    for (const kind of ['Service', 'Pod', 'EndpointSlice', 'WorkloadEntry']) expect(kinds).toContain(kind);
  });

  it('follows changes made with kubectl and by the controllers', async () => {
    await cluster.runKubectl(['apply', '-f', '-'], workloadEntry('reviews-vm-2', '10.1.1.2'));
    await eventually(async () => (await reviewsEndpoints()).includes('10.1.1.2'), 'a watched addition');
    await cluster.runKubectl(['delete', 'workloadentry', 'reviews-vm-1']);
    await eventually(async () => !(await reviewsEndpoints()).includes('10.1.1.1'), 'a watched deletion');

    // The ReplicaSet controller deletes a pod and the EndpointSlice controller drops its address.
    await cluster.runKubectl(['scale', 'deployment/reviews', '--replicas=1']);
    await cluster.runKubectl(['rollout', 'status', 'deployment/reviews', '--timeout=120s']);
    await eventually(async () => (await reviewsPodIps()).length === 1, 'the scale-down');
    const [remaining] = await reviewsPodIps();
    await eventually(
      async () => (await reviewsEndpoints()).join() === [remaining, '10.1.1.2'].sort().join(),
      'the endpoints of one pod and one WorkloadEntry',
    );
  });

  it('reports cluster objects that fail Istio validation and keeps them out', async () => {
    await cluster.runKubectl(['apply', '-f', '-'], ZERO_WEIGHTS);
    await eventually(
      async () => (await debug<{ invalid: unknown[] }>('/debug/configz')).invalid.length > 0,
      'the invalid VirtualService',
    );
    const configz = await debug<{
      resources: { kind: string; name: string }[];
      invalid: { code: string; name: string; path: string }[];
    }>('/debug/configz');
    expect(configz.invalid.map((f) => `${f.code} ${f.name} ${f.path}`)).toEqual([
      'WEIGHT_INVALID bad-split spec.http[0].route',
    ]);
    expect(configz.resources.some((r) => r.kind === 'VirtualService')).toBe(false);
  });

  it("has the apiserver refuse an invalid Istio resource by the CRD's own schema", async () => {
    await expect(cluster.runKubectl(['create', '-f', '-'], ZERO_TIMEOUT)).rejects.toThrow(
      /spec\.http\[0\]\.timeout: Invalid value.*must be a valid duration greater than 1ms/,
    );
    await expect(cluster.runKubectl(['get', 'virtualservice', 'zero-timeout'])).rejects.toThrow(/NotFound/);
  });
});
