import { spawnSync } from 'node:child_process';

import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { BIN } from './processes.js';

/**
 * `meshctl install`, `verify-install`, `manifest generate` and `uninstall` with istioctl's
 * `-i`/`--istioNamespace` (`-n` for short) on a real control plane (tools/kube-cluster): the minimal
 * profile goes into `mesh-system`, nothing into `istio-system`, and `uninstall --purge -n mesh-system`
 * takes it all away again. kwok reports istiod's pods ready without running them.
 */

const NAMESPACE = 'mesh-system';

describe('meshctl install into a namespace other than istio-system', { timeout: 300_000 }, () => {
  let cluster: KubeCluster;

  /** The built meshctl; cluster commands get the cluster's kubeconfig. */
  const run = (args: string[]) => {
    // spawnSync: these commands only talk to the API server and helm, nothing this process serves.
    const result = spawnSync(process.execPath, [BIN.meshctl, ...args], {
      env: { ...process.env, HELM: cluster.helm },
      encoding: 'utf8',
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const meshctl = (...args: string[]) => run([...args, '--kubeconfig', cluster.kubeconfig]);
  const expectExit = (result: ReturnType<typeof meshctl>, code: number) =>
    expect(result.code, `exit ${result.code}\n${result.stdout}\n${result.stderr}`).toBe(code);
  const labelled = async () =>
    (
      await cluster.runKubectl([
        'get',
        'namespaces,deployments,services,serviceaccounts,configmaps,roles,rolebindings,' +
          'clusterroles,clusterrolebindings,validatingwebhookconfigurations,mutatingwebhookconfigurations',
        '-A',
        '-l',
        'install.operator.istio.io/owning-resource=installed-state',
        '-o',
        'jsonpath={range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
      ])
    )
      .split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.down();
  }, 60_000);

  it('manifest generate -n puts every namespaced object in that namespace', () => {
    const generated = run(['manifest', 'generate', '--profile', 'minimal', '-n', NAMESPACE]);
    expectExit(generated, 0);
    const namespaces = new Set(
      parseAllDocuments(generated.stdout)
        .map((d) => d.toJS() as { metadata?: { namespace?: string } } | null)
        .map((o) => o?.metadata?.namespace)
        .filter((ns) => ns !== undefined),
    );
    expect([...namespaces]).toEqual([NAMESPACE]);
  });

  it('install --istioNamespace creates the control plane there and nothing in istio-system', async () => {
    const installed = meshctl('install', '--profile', 'minimal', '--istioNamespace', NAMESPACE, '-y');
    expectExit(installed, 0);
    expect(await cluster.runKubectl(['get', 'deployment', 'istiod', '-n', NAMESPACE, '-o', 'name'])).toBe(
      'deployment.apps/istiod\n',
    );
    expect(await cluster.runKubectl(['get', 'namespace', '-o', 'name'])).not.toContain('istio-system');
    expect(await labelled()).toContain(`ValidatingWebhookConfiguration /istio-validator-${NAMESPACE}`);
  });

  it('verify-install -n finds it all; without -n it looks in istio-system and reports it missing', () => {
    const verified = meshctl('verify-install', '--profile', 'minimal', '-n', NAMESPACE);
    expectExit(verified, 0);
    expect(meshctl('verify-install', '--profile', 'minimal').code).toBe(1);
  });

  it('uninstall --purge -n removes everything install made there, the namespace included', async () => {
    expectExit(meshctl('uninstall', '--purge', '--namespace', NAMESPACE, '-y'), 0);
    expect(await labelled()).toEqual([]);
    expect(await cluster.runKubectl(['get', 'namespace', '-o', 'name'])).not.toContain(NAMESPACE);
  });

  it('refuses a namespace name Kubernetes would refuse, before touching the cluster', () => {
    const refused = meshctl('install', '--profile', 'minimal', '-n', 'Mesh_System', '-y');
    expectExit(refused, 2);
    expect(refused.stderr).toContain('istio namespace "Mesh_System" is not a valid namespace name');
  });
});
