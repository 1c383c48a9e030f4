import { join } from 'node:path';

import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { meshctl } from './processes.js';

/**
 * `meshctl analyze --use-kube=true` on a real control plane (tools/kube-cluster, Istio's CRDs from our
 * base chart): the cluster's Namespaces, Pods (with their status), Services and Istio resources are
 * what the analyzers see — a namespace without injection label (IST0102), a running pod of an injected
 * namespace without its proxy (IST0103, no webhook injected it), a subset no running pod is in (IST0173)
 * while the one the pod is in is not reported, a VirtualService to an unknown host (IST0101). The
 * cluster's MeshConfig (the `istio` ConfigMap) is the analysis': an AuthorizationPolicy in its
 * rootNamespace `mesh-root` is mesh-wide, so its selector finds the pod of `shop` (no IST0127). An
 * EnvoyFilter whose patch value Envoy cannot read (the CRD keeps the value as written) is IST0106.
 */

const BASE_CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'base');

const RESOURCES = `
apiVersion: v1
kind: Namespace
metadata: { name: plain }
---
apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
---
apiVersion: v1
kind: Namespace
metadata: { name: mesh-root }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data: { mesh: "rootNamespace: mesh-root" }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: web-mesh-wide, namespace: mesh-root }
spec:
  selector: { matchLabels: { app: web } }
  action: ALLOW
  rules: [{ from: [{ source: { principals: [cluster.local/ns/shop/sa/default] } }] }]
---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: shop, labels: { app: web, version: v1 } }
spec: { containers: [{ name: web, image: nginx }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: shop }
spec:
  host: web
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: to-nowhere, namespace: shop }
spec:
  hosts: [web]
  http: [{ route: [{ destination: { host: nowhere } }] }]
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: { name: bad-patch, namespace: shop }
spec:
  configPatches: [{ applyTo: CLUSTER, patch: { operation: ADD, value: { name: c, connect_timeout: 5 } } }]
`;

describe('meshctl analyze --use-kube=true on a real cluster', () => {
  let cluster: KubeCluster;

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    const crds = await cluster.runHelm([
      'template',
      'base',
      BASE_CHART,
      '--show-only',
      'templates/crds.yaml',
    ]);
    await cluster.runKubectl(['apply', '-f', '-'], crds);
    await cluster.runKubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    await cluster.runKubectl(['apply', '-f', '-'], RESOURCES);
    await cluster.runKubectl([
      'wait',
      '--for=jsonpath={.status.phase}=Running',
      'pod/web',
      '-n',
      'shop',
      '--timeout=90s',
    ]);
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.down();
  }, 60_000);

  it("reports the cluster's namespace, pod, subset and host problems with Istio's codes, and nothing for the subset in use", () => {
    const run = meshctl(['analyze', '--use-kube=true', '--kubeconfig', cluster.kubeconfig, '-A']);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Info \[IST0102\] \(Namespace plain <cluster>:\d+\) The namespace is not enabled/,
        ),
        expect.stringMatching(
          /^Warning \[IST0103\] \(Pod shop\/web <cluster>:\d+\) The pod web is missing the Istio proxy/,
        ),
        expect.stringMatching(
          /^Error \[IST0173\] \(DestinationRule shop\/web <cluster>:\d+\) The Subset v2 defined/,
        ),
        expect.stringMatching(
          /^Error \[IST0101\] \(VirtualService shop\/to-nowhere <cluster>:\d+\) Referenced host not found: "nowhere"/,
        ),
        expect.stringMatching(
          /^Error \[IST0106\] \(EnvoyFilter shop\/bad-patch <cluster>:\d+\) Schema validation error: spec\.configPatches\[0\]\.patch\.value\.connect_timeout: Envoy filter: expected a duration/,
        ),
      ]),
    );
    expect(lines.filter((l) => l.includes('Subset v1'))).toEqual([]);
    expect(lines.filter((l) => l.includes('Namespace shop'))).toEqual([]);
    expect(lines.filter((l) => l.includes('AuthorizationPolicy mesh-root/web-mesh-wide'))).toEqual([]);
    expect(run.status).toBe(79);
  });
});
