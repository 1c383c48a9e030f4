import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '@mesh/kube/test-server';
import { renderIstioCrds } from '@mesh/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { startIstiodProcess, type IstiodProcess } from './processes.js';

/** istiod started with `--kubeconfig` reads Services, Istio resources and endpoints from the cluster. */
describe('istiod reading config from Kubernetes (test API server)', () => {
  const dirs = ['e2e-kube-config-', 'e2e-kube-state-', 'e2e-kubeconfig-'].map((p) =>
    mkdtempSync(join(tmpdir(), p)),
  );
  const [configDir, stateDir, kubeconfigDir] = dirs as [string, string, string];
  let server: TestApiServer;
  let api: KubernetesObjectApi;
  let istiod: IstiodProcess;

  const debug = async <T>(path: string): Promise<T> =>
    (await (await fetch(`http://127.0.0.1:${istiod.ports.monitoringPort}${path}`)).json()) as T;
  const endpointsOfReviews = async () => {
    const registry =
      await debug<{ hostname: string; endpoints: Record<string, { address: string; port: number }[]> }[]>(
        '/debug/registryz',
      );
    return (registry.find((s) => s.hostname === 'reviews.default.svc.cluster.local')?.endpoints['9080'] ?? [])
      .map((e) => `${e.address}:${e.port}`)
      .sort();
  };
  const workloadEntry = (name: string, address: string) =>
    ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'WorkloadEntry',
      metadata: { name, namespace: 'default' },
      spec: { address, labels: { app: 'reviews' } },
    }) as KubernetesObject;

  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    server = await startTestApiServer();
    api = KubernetesObjectApi.makeApiClient(server.kubeConfig());
    for (const doc of parseAllDocuments(renderIstioCrds())) await api.create(doc.toJS() as KubernetesObject);
    await api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] },
    } as KubernetesObject);
    await api.create(workloadEntry('reviews-1', '10.1.1.1'));
    const kubeconfig = join(kubeconfigDir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, server.kubeConfigYaml());
    istiod = await startIstiodProcess({ configDir, stateDir, kubeconfig });
  });

  afterAll(async () => {
    await istiod?.stop();
    await server?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('builds services and endpoints from cluster objects and follows changes', async () => {
    await eventually(async () => (await endpointsOfReviews()).length === 1, 'the initial list');
    expect(await endpointsOfReviews()).toEqual(['10.1.1.1:9080']);
    await api.create(workloadEntry('reviews-2', '10.1.1.2'));
    await eventually(async () => (await endpointsOfReviews()).length === 2, 'a watched addition');
    await api.delete(workloadEntry('reviews-1', '10.1.1.1'));
    await eventually(
      async () => (await endpointsOfReviews()).join() === '10.1.1.2:9080',
      'a watched deletion',
    );
  });

  it('reports cluster objects that fail Istio validation and keeps them out', async () => {
    await api.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'bad-split', namespace: 'default' },
      spec: {
        hosts: ['reviews'],
        http: [
          {
            route: [
              { destination: { host: 'reviews' }, weight: 0 },
              { destination: { host: 'reviews' }, weight: 0 },
            ],
          },
        ],
      },
    } as KubernetesObject);
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
    expect(configz.resources.filter((r) => r.kind === 'Service').map((r) => r.name)).toContain('reviews');
  });
});
