import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startIstiod, type IstiodProcess, type LaunchedIstiodPorts } from '@mesh/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeCluster } from '../src/kube-cluster.js';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS } from './run.js';

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
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: reviews-vm, namespace: default }
spec: { address: 10.1.1.1, labels: { app: reviews } }
`;

/** A VirtualService whose timeout the CRD's own CEL rule refuses (charts/base, `duration(self) >= 1ms`). */
const ZERO_TIMEOUT = JSON.stringify({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'zero-timeout', namespace: 'default' },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], timeout: '0s' }] },
});

/** istiod with `--kubeconfig` against the real control plane, with the Istio CRDs from charts/base. */
describe('istiod on a cluster from tools/kube-cluster', () => {
  let cluster: KubeCluster;
  let istiod: IstiodProcess;
  let ports: LaunchedIstiodPorts;
  const dirs = ['istiod-config-', 'istiod-state-'].map((prefix) => mkdtempSync(join(tmpdir(), prefix)));

  const debug = async <T>(path: string): Promise<T> =>
    (await (await fetch(`http://127.0.0.1:${ports.monitoringPort}${path}`)).json()) as T;
  const reviewsEndpoints = async () => {
    const registry =
      await debug<{ hostname: string; endpoints: Record<string, { address: string }[]> }[]>(
        '/debug/registryz',
      );
    const service = registry.find((s) => s.hostname === 'reviews.default.svc.cluster.local');
    return (service?.endpoints['9080'] ?? []).map((e) => e.address).sort();
  };
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    await cluster.runHelm(['install', 'istio-base', BASE_CHART, '--wait', '--timeout', '2m']);
    await cluster.runKubectl(['apply', '-f', '-'], REVIEWS);
    await cluster.runKubectl(['rollout', 'status', 'deployment/reviews', '--timeout=120s']);
    const [configDir, stateDir] = dirs as [string, string];
    istiod = startIstiod({ configDir, stateDir, kubeconfig: cluster.kubeconfig }, { logs: { memory: true } });
    ports = await istiod.ready;
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await istiod?.stop();
    await cluster?.down();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('reads Services, Pods, EndpointSlices and Istio resources from the cluster', async () => {
    const podIps = JSON.parse(
      await cluster.runKubectl(['get', 'pods', '-l', 'app=reviews', '-o', 'json']),
    ) as {
      items: { status: { podIP: string } }[];
    };
    const expected = [...podIps.items.map((p) => p.status.podIP), '10.1.1.1'].sort();
    expect(expected).toHaveLength(3);
    await eventually(async () => (await reviewsEndpoints()).length === 3, 'the reviews endpoints');
    expect(await reviewsEndpoints()).toEqual(expected);
    const configz = await debug<{ resources: { kind: string; name: string }[] }>('/debug/configz');
    const kinds = new Set(configz.resources.map((r) => r.kind));
    for (const kind of ['Service', 'Pod', 'EndpointSlice', 'WorkloadEntry']) expect(kinds).toContain(kind);
  });

  it("has the apiserver refuse an invalid Istio resource by the CRD's own schema", async () => {
    await expect(cluster.runKubectl(['create', '-f', '-'], ZERO_TIMEOUT)).rejects.toThrow(
      /spec\.http\[0\]\.timeout: Invalid value.*must be a valid duration greater than 1ms/,
    );
    await expect(cluster.runKubectl(['get', 'virtualservice', 'zero-timeout'])).rejects.toThrow(/NotFound/);
  });
});
