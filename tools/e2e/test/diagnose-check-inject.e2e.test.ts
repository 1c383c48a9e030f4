import { join } from 'node:path';

import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { meshctl } from './processes.js';

/**
 * `meshctl check-inject` on a real control plane (tools/kube-cluster): the namespace labels, pods,
 * injector ConfigMap and MutatingWebhookConfiguration are the API server's, the last two rendered from
 * our istiod chart (`helm template`). The pods are created before the webhook exists, so they run
 * without a sidecar and check-inject must say which of them a restart would inject.
 */

const ISTIOD_CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'istiod');

const PODS = `
apiVersion: v1
kind: Namespace
metadata: { name: labelled, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: plain }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: labelled, labels: { app: web } }
spec: { containers: [{ name: web, image: nginx }] }
---
apiVersion: v1
kind: Pod
metadata: { name: opted-out, namespace: labelled, annotations: { sidecar.istio.io/inject: "false" } }
spec: { containers: [{ name: app, image: nginx }] }
---
apiVersion: v1
kind: Pod
metadata: { name: plain.pod, namespace: plain }
spec: { containers: [{ name: app, image: nginx }] }
`;

interface Result {
  namespace: string;
  webhooks: { name: string; revision: string; webhooks: string[] }[];
  pods: { pod: string; hasSidecar?: boolean; inject: boolean; rule: string; reason: string }[];
  warnings: string[];
}

describe('meshctl check-inject on a real cluster', () => {
  let cluster: KubeCluster;
  const checkInject = (...args: string[]) =>
    meshctl(['check-inject', ...args, '--kubeconfig', cluster.kubeconfig]);
  const json = (...args: string[]) => {
    const run = checkInject(...args, '-o', 'json');
    return {
      status: run.status,
      stderr: run.stderr,
      result: run.stdout ? (JSON.parse(run.stdout) as Result) : undefined,
    };
  };
  const chart = (template: string) =>
    cluster.runHelm(['template', 'istiod', ISTIOD_CHART, '-n', 'istio-system', '--show-only', template]);

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    await cluster.runKubectl(['apply', '-f', '-'], PODS);
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.down();
  }, 60_000);

  it('says no control plane is installed (exit 2) before the injector ConfigMap exists', () => {
    const run = checkInject('-n', 'labelled');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('istio-system/istio-sidecar-injector not found');
  });

  it('warns that no injection webhook is configured (exit 1) when only the ConfigMap exists', async () => {
    await cluster.runKubectl(['create', 'namespace', 'istio-system']);
    await cluster.runKubectl(['apply', '-f', '-'], await chart('templates/istiod-injector-configmap.yaml'));
    const run = checkInject('-n', 'labelled');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('ERROR: no Istio injection hooks present.');
  });

  it("decides each pod of a labelled namespace by the injector's rules, and names the pod to restart", async () => {
    await cluster.runKubectl(['apply', '-f', '-'], await chart('templates/mutatingwebhook.yaml'));
    const { status, result } = json('-n', 'labelled');
    expect(result?.webhooks).toEqual([
      expect.objectContaining({
        name: 'istio-sidecar-injector',
        revision: 'default',
        webhooks: expect.arrayContaining(['namespace.sidecar-injector.istio.io']),
      }),
    ]);
    const byName = Object.fromEntries((result?.pods ?? []).map((p) => [p.pod, p]));
    expect(byName['web']).toMatchObject({ hasSidecar: false, inject: true, rule: 'namespace-label-enabled' });
    expect(byName['opted-out']).toMatchObject({ hasSidecar: false, inject: false, rule: 'pod-annotation' });
    expect(result?.warnings).toEqual([
      'pod web has no sidecar but would get one if recreated (namespace-label-enabled): restart it',
    ]);
    expect(status).toBe(1);
  });

  it('checks one pod as name.namespace, and a pod to be created with -l labels (exit 0)', () => {
    const one = json('plain.pod.plain');
    expect(one.status).toBe(0);
    expect(one.result?.pods).toEqual([
      expect.objectContaining({
        pod: 'plain.pod',
        hasSidecar: false,
        inject: false,
        rule: 'no-selector-matched',
      }),
    ]);
    const optIn = json('-n', 'plain', '-l', 'app=cart,sidecar.istio.io/inject=true');
    expect(optIn.status).toBe(0);
    expect(optIn.result?.pods).toEqual([
      {
        pod: '(new pod)',
        inject: true,
        rule: 'pod-label',
        reason: 'Pod has sidecar.istio.io/inject=true label',
      },
    ]);
    const table = checkInject('-n', 'labelled', '-l', 'app=cart');
    expect(table.stdout).toMatch(/\(new pod\)\s+labelled\s+-\s+✔\s+namespace-label-enabled/);
  });

  it('refuses an unknown pod or namespace with exit 2', () => {
    expect(checkInject('nope.plain')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('pod plain/nope not found'),
    });
    expect(checkInject('-n', 'absent')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('namespace absent not found'),
    });
  });
});
