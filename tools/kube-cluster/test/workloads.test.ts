import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeCluster } from '../src/kube-cluster.js';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, run, succeeded } from './run.js';

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: registry.example/web:1 }]
`;

/** A chart as small as a chart can be while `--wait` still has something to wait for. */
function writeChart(dir: string): void {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n');
  writeFileSync(
    join(dir, 'templates', 'deployment.yaml'),
    DEPLOYMENT.replaceAll('web', '{{ .Release.Name }}').replace(
      'namespace: default',
      'namespace: {{ .Release.Namespace }}',
    ),
  );
}

/** The control plane's own behaviour, through the tools a user has: kubectl and helm. */
describe('a cluster from tools/kube-cluster', () => {
  let cluster: KubeCluster;
  const work = mkdtempSync(join(tmpdir(), 'kube-cluster-work-'));

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.down();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** kubectl as a client holding only a bearer token (no client certificate). */
  const kubectlWithToken = (token: string, args: string[]) =>
    run(cluster.kubectl, [
      '--kubeconfig=/dev/null',
      `--server=${cluster.server}`,
      `--certificate-authority=${join(cluster.dir, 'pki', 'ca.crt')}`,
      `--token=${token}`,
      ...args,
    ]);

  it('runs a Deployment of 2 replicas to 2/2 available on the simulated node', async () => {
    await cluster.runKubectl(['apply', '-f', '-'], DEPLOYMENT);
    await cluster.runKubectl(['rollout', 'status', 'deployment/web', '--timeout=120s']);
    const status = JSON.parse(await cluster.runKubectl(['get', 'deployment', 'web', '-o', 'json'])) as {
      status: { availableReplicas: number; readyReplicas: number };
    };
    expect(status.status).toMatchObject({ availableReplicas: 2, readyReplicas: 2 });
    const pods = JSON.parse(await cluster.runKubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as {
      items: { spec: { nodeName: string }; status: { phase: string } }[];
    };
    expect(pods.items.map((p) => `${p.spec.nodeName} ${p.status.phase}`)).toEqual([
      'kwok-node-0 Running',
      'kwok-node-0 Running',
    ]);
  });

  it('issues a service-account token that a TokenReview accepts, and rejects a forged one', async () => {
    const token = (await cluster.runKubectl(['create', 'token', 'default', '--audience=istio-ca'])).trim();
    const review = (candidate: string) =>
      cluster.runKubectl(
        ['create', '-o', 'json', '-f', '-'],
        JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token: candidate, audiences: ['istio-ca'] },
        }),
      );
    const accepted = JSON.parse(await review(token)) as {
      status: { authenticated?: boolean; user?: { username: string }; audiences?: string[] };
    };
    expect(accepted.status.authenticated).toBe(true);
    expect(accepted.status.user?.username).toBe('system:serviceaccount:default:default');
    expect(accepted.status.audiences).toEqual(['istio-ca']);
    // The same token with its signature's last characters changed.
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const refused = JSON.parse(await review(forged)) as {
      status: { authenticated?: boolean; error?: string };
    };
    expect(refused.status.authenticated).toBeFalsy();
    expect(refused.status.error).toBeTruthy();
  });

  it('refuses a service account without RBAC permissions a list of pods (403), until a binding grants it', async () => {
    await cluster.runKubectl(['create', 'serviceaccount', 'nobody']);
    const token = (await cluster.runKubectl(['create', 'token', 'nobody'])).trim();
    const refused = await kubectlWithToken(token, ['get', '--raw', '/api/v1/namespaces/default/pods']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Error from server (Forbidden)');
    expect(refused.stderr).toContain('"system:serviceaccount:default:nobody" cannot list resource "pods"');
    // The refusal was RBAC's, not authentication's: a RoleBinding turns it into an answer.
    await cluster.runKubectl([
      'create',
      'rolebinding',
      'nobody-view',
      '--clusterrole=view',
      '--serviceaccount=default:nobody',
    ]);
    const allowed = await kubectlWithToken(token, ['get', 'pods', '-o', 'name']);
    expect(succeeded(allowed, 'list pods after the binding').stdout).toContain('pod/web-');
  });

  it('installs a small chart with helm --wait', async () => {
    const chart = join(work, 'tiny');
    writeChart(chart);
    await cluster.runHelm(['install', 'tiny', chart, '--namespace', 'default', '--wait', '--timeout', '2m']);
    const status = JSON.parse(await cluster.runHelm(['status', 'tiny', '-o', 'json'])) as {
      info: { status: string };
    };
    expect(status.info.status).toBe('deployed');
    const deployment = JSON.parse(await cluster.runKubectl(['get', 'deployment', 'tiny', '-o', 'json'])) as {
      status: { availableReplicas: number };
    };
    expect(deployment.status.availableReplicas).toBe(2);
  });

  it('serves ClusterTrustBundles', async () => {
    const ca = readFileSync(join(cluster.dir, 'pki', 'ca.crt'), 'utf8');
    await cluster.runKubectl(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1beta1',
        kind: 'ClusterTrustBundle',
        metadata: { name: 'mesh-root' },
        spec: { trustBundle: ca },
      }),
    );
    const stored = JSON.parse(
      await cluster.runKubectl(['get', 'clustertrustbundle', 'mesh-root', '-o', 'json']),
    ) as {
      spec: { trustBundle: string };
    };
    expect(stored.spec.trustBundle.trim()).toBe(ca.trim());
  });
});
