import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  apiStatusOf,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isKubeError,
  isNotFound,
  loadKubeConfig,
} from '../src/index.js';
import { failureOf, statusOf } from './helpers.js';

/**
 * `loadKubeConfig` with kubectl's `--kubeconfig`/`--context` semantics, and reading the `Status` of
 * failed calls, against a real control plane (tools/kube-cluster). The kubeconfig is the cluster's
 * admin one plus a context that real kubectl adds for a service account without RBAC permissions.
 */
let cluster: KubeCluster;
let dir: string;
let path: string;

beforeAll(async () => {
  cluster = await buildAndStartCluster();
  dir = mkdtempSync(join(tmpdir(), 'mesh-kubeconfig-'));
  path = join(dir, 'config');
  copyFileSync(cluster.kubeconfig, path);
  await cluster.runKubectl(['create', 'serviceaccount', 'reader']);
  const token = (await cluster.runKubectl(['create', 'token', 'reader'])).trim();
  const kubectl = (...args: string[]) => cluster.runKubectl(['--kubeconfig', path, ...args]);
  await kubectl('config', 'set-credentials', 'reader', `--token=${token}`);
  await kubectl('config', 'set-context', 'reader', '--cluster=mesh-kube-cluster', '--user=reader');
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('loadKubeConfig', () => {
  it("uses the file's current context, whose CA and client certificate reach the API server", async () => {
    const config = loadKubeConfig({ kubeconfig: path });
    expect(config.getCurrentCluster()?.server).toBe(cluster.server);
    const namespaces = await config.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((ns) => ns.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system']),
    );
  });

  it('switches to the context asked for: the service account RBAC refuses a list of pods', async () => {
    const config = loadKubeConfig({ kubeconfig: path, context: 'reader' });
    const status = await statusOf(
      config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' }),
    );
    expect(status).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(status.message).toBe(
      'pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "default"',
    );
  });

  it('refuses a context the file does not have', () => {
    let caught: unknown;
    try {
      loadKubeConfig({ kubeconfig: path, context: 'prod' });
    } catch (error) {
      caught = error;
    }
    expect(isKubeError(caught, 'KUBE_INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toBe(
      'context "prod" does not exist in the kubeconfig (known: mesh-kube-cluster, reader)',
    );
  });
});

describe("reading the Status of kube-apiserver's refusals", () => {
  const api = () => loadKubeConfig({ kubeconfig: path }).makeApiClient(CoreV1Api);
  const configMap = (name: string, value = 'first', resourceVersion?: string): V1ConfigMap => ({
    metadata: { name, resourceVersion },
    data: { key: value },
  });

  it('tells NotFound, AlreadyExists, Conflict and Invalid apart', async () => {
    const missing = await failureOf(api().readNamespacedConfigMap({ name: 'missing', namespace: 'default' }));
    expect(isNotFound(missing)).toBe(true);

    const created = await api().createNamespacedConfigMap({
      namespace: 'default',
      body: configMap('settings'),
    });
    const twice = await failureOf(
      api().createNamespacedConfigMap({ namespace: 'default', body: configMap('settings') }),
    );
    expect([isAlreadyExists(twice), isConflict(twice)]).toEqual([true, false]);

    await api().replaceNamespacedConfigMap({
      name: 'settings',
      namespace: 'default',
      body: configMap('settings', 'second', created.metadata?.resourceVersion),
    });
    // An update from the first version (an unchanged one would be no write at all, hence no conflict).
    const stale = await failureOf(
      api().replaceNamespacedConfigMap({
        name: 'settings',
        namespace: 'default',
        body: configMap('settings', 'third', created.metadata?.resourceVersion),
      }),
    );
    expect([isConflict(stale), isAlreadyExists(stale)]).toEqual([true, false]);

    const invalid = await failureOf(
      api().createNamespacedConfigMap({ namespace: 'default', body: configMap('Not_A_Name') }),
    );
    expect(isInvalid(invalid)).toBe(true);
    expect(apiStatusOf(invalid)?.details?.causes?.map((c) => c.field)).toEqual(['metadata.name']);
  });
});
