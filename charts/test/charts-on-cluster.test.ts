import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ChartTestCluster, ok } from './cluster.js';
import { CHARTS } from './helm.js';

const ISTIOD = 'system:serviceaccount:istio-system:istiod';
/** Building the Kubernetes binaries when the cache lacks them takes most of an hour on two busy cores. */
const CLUSTER_UP_MS = 2 * 60 * 60_000;
const HELM_MS = 5 * 60_000;

/** A self-signed certificate for a ClusterTrustBundle (the API server checks the PEM). */
function selfSignedPem(): string {
  const dir = mkdtempSync(join(tmpdir(), 'charts-ctb-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/O=charts-test',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The seed flow with this project's charts on a real API server (tools/kube-cluster; kwok plays the
 * node, so pods report Ready without running): install base and istiod, check istiod's ServiceAccount
 * against the API server's own RBAC, uninstall.
 */
describe('charts on a real cluster', () => {
  let cluster: ChartTestCluster;

  beforeAll(async () => {
    cluster = await ChartTestCluster.up();
  }, CLUSTER_UP_MS);

  afterAll(async () => {
    await cluster?.down();
  }, 120_000);

  /** `kubectl auth can-i VERB RESOURCE [args] --as=istiod`: yes or no. */
  const istiodCan = async (...args: string[]) => {
    const result = await cluster.kubectl(['auth', 'can-i', ...args, `--as=${ISTIOD}`]);
    return result.stdout.trim();
  };

  it(
    'installs charts/base with helm install --create-namespace',
    async () => {
      ok(
        await cluster.helm([
          'install',
          'istio-base',
          join(CHARTS, 'base'),
          '-n',
          'istio-system',
          '--create-namespace',
        ]),
        'helm install istio-base',
      );
      const crds = ok(await cluster.kubectl(['get', 'crd', '-o', 'name']), 'get crd');
      expect(crds).toContain(
        'customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io',
      );
      ok(
        await cluster.kubectl([
          'get',
          'serviceaccount',
          'istio-reader-service-account',
          '-n',
          'istio-system',
        ]),
        'reader',
      );
      ok(
        await cluster.kubectl(['get', 'validatingwebhookconfiguration', 'istiod-default-validator']),
        'validator',
      );
    },
    HELM_MS,
  );

  it(
    'installs charts/istiod with helm install --wait: istiod Ready, its webhooks and ConfigMaps in place',
    async () => {
      ok(
        await cluster.helm([
          'install',
          'istiod',
          join(CHARTS, 'istiod'),
          '-n',
          'istio-system',
          '--wait',
          '--timeout',
          '4m',
        ]),
        'helm install istiod',
      );
      const deployment = JSON.parse(
        ok(
          await cluster.kubectl(['get', 'deployment', 'istiod', '-n', 'istio-system', '-o', 'json']),
          'get istiod',
        ),
      ) as { status: { readyReplicas?: number } };
      expect(deployment.status.readyReplicas).toBe(1);
      const configMaps = ok(
        await cluster.kubectl(['get', 'configmap', '-n', 'istio-system', '-o', 'name']),
        'cm',
      );
      expect(configMaps).toContain('configmap/istio\n');
      expect(configMaps).toContain('configmap/istio-sidecar-injector\n');
      const webhook = JSON.parse(
        ok(
          await cluster.kubectl([
            'get',
            'mutatingwebhookconfiguration',
            'istio-sidecar-injector',
            '-o',
            'json',
          ]),
          'mwc',
        ),
      ) as { webhooks: { name: string; clientConfig: unknown }[] };
      expect(webhook.webhooks.map((w) => w.name)).toEqual([
        'rev.namespace.sidecar-injector.istio.io',
        'rev.object.sidecar-injector.istio.io',
        'namespace.sidecar-injector.istio.io',
        'object.sidecar-injector.istio.io',
      ]);
    },
    HELM_MS,
  );

  it(
    "allows istiod's ServiceAccount what istiod does, and refuses the rest",
    async () => {
      const allowed = [
        ['list', 'pods', '--all-namespaces'],
        // The node versions ENABLE_NATIVE_SIDECARS=auto decides with (cluster-sync.ts listNodes).
        ['list', 'nodes'],
        ['watch', 'endpointslices.discovery.k8s.io', '--all-namespaces'],
        ['watch', 'virtualservices.networking.istio.io', '--all-namespaces'],
        ['list', 'authorizationpolicies.security.istio.io', '-n', 'default'],
        ['list', 'secrets', '-n', 'default'],
        ['create', 'tokenreviews.authentication.k8s.io'],
        ['create', 'configmaps', '-n', 'default'],
        ['update', 'configmaps/istio-ca-root-cert', '-n', 'default'],
        ['patch', 'mutatingwebhookconfigurations/istio-sidecar-injector'],
        ['patch', 'validatingwebhookconfigurations/istiod-default-validator'],
        // The dry-run create of an invalid Gateway before the validators fail closed (role.yaml).
        ['create', 'gateways.networking.istio.io', '-n', 'istio-system'],
      ];
      const refused = [
        ['create', 'secrets', '-n', 'istio-system'],
        ['delete', 'secrets', '-n', 'default'],
        ['create', 'pods', '-n', 'default'],
        ['watch', 'nodes'],
        ['patch', 'nodes'],
        ['delete', 'pods', '-n', 'default'],
        ['update', 'configmaps/kube-root-ca.crt', '-n', 'default'],
        ['delete', 'configmaps', '-n', 'istio-system'],
        ['create', 'virtualservices.networking.istio.io', '-n', 'default'],
        ['create', 'gateways.networking.istio.io', '-n', 'default'],
        ['update', 'gateways.networking.istio.io', '-n', 'istio-system'],
        ['patch', 'mutatingwebhookconfigurations/someone-elses'],
        ['create', 'deployments.apps', '-n', 'istio-system'],
        ['create', 'clustertrustbundles.certificates.k8s.io'],
        ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
      ];
      for (const args of allowed)
        expect(`${args.join(' ')}: ${await istiodCan(...args)}`).toBe(`${args.join(' ')}: yes`);
      for (const args of refused)
        expect(`${args.join(' ')}: ${await istiodCan(...args)}`).toBe(`${args.join(' ')}: no`);
    },
    HELM_MS,
  );

  it(
    'lets istiod write its ClusterTrustBundle only once pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true',
    async () => {
      const bundle = JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1beta1',
        kind: 'ClusterTrustBundle',
        metadata: { name: 'istio.io:istiod-ca:root-cert' },
        spec: { signerName: 'istio.io/istiod-ca', trustBundle: selfSignedPem() },
      });
      const createAsIstiod = () => cluster.kubectl(['create', '-f', '-', `--as=${ISTIOD}`], bundle);
      const before = await createAsIstiod();
      expect(before.code).not.toBe(0);
      expect(before.stderr).toContain('forbidden');
      ok(
        await cluster.helm([
          'upgrade',
          'istiod',
          join(CHARTS, 'istiod'),
          '-n',
          'istio-system',
          '--wait',
          '--timeout',
          '4m',
          '--set',
          'pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true',
        ]),
        'helm upgrade istiod',
      );
      ok(await createAsIstiod(), 'create the ClusterTrustBundle as istiod');
      expect(
        await istiodCan('update', 'clustertrustbundles.certificates.k8s.io/istio.io:istiod-ca:root-cert'),
      ).toBe('yes');
      expect(
        await istiodCan('delete', 'clustertrustbundles.certificates.k8s.io/istio.io:istiod-ca:root-cert'),
      ).toBe('no');
      ok(
        await cluster.kubectl(['delete', 'clustertrustbundle', 'istio.io:istiod-ca:root-cert']),
        'delete the bundle',
      );
    },
    HELM_MS,
  );

  it(
    'points the webhooks at an istiod outside the cluster with istiodRemote.injectionURL and base.validationURL',
    async () => {
      ok(
        await cluster.helm([
          'upgrade',
          'istiod',
          join(CHARTS, 'istiod'),
          '-n',
          'istio-system',
          '--wait',
          '--timeout',
          '4m',
          '--set',
          'istiodRemote.injectionURL=https://127.0.0.1:41017/inject',
          '--set',
          'base.validationURL=https://127.0.0.1:41017/validate',
        ]),
        'helm upgrade istiod',
      );
      const urls = ok(
        await cluster.kubectl([
          'get',
          'mutatingwebhookconfiguration,validatingwebhookconfiguration',
          '-l',
          'app.kubernetes.io/instance=istiod',
          '-o',
          'jsonpath={range .items[*].webhooks[*]}{.clientConfig.url}{"\\n"}{end}',
        ]),
        'webhook urls',
      );
      expect(urls.trim().split('\n').sort()).toEqual([
        ...Array(4).fill('https://127.0.0.1:41017/inject'),
        'https://127.0.0.1:41017/validate',
      ]);
    },
    HELM_MS,
  );

  it(
    'helm uninstall leaves nothing of the release but the CRDs, which Istio keeps too',
    async () => {
      ok(
        await cluster.helm(['uninstall', 'istiod', '-n', 'istio-system', '--wait']),
        'helm uninstall istiod',
      );
      ok(
        await cluster.helm(['uninstall', 'istio-base', '-n', 'istio-system', '--wait']),
        'helm uninstall istio-base',
      );
      const left = ok(
        await cluster.kubectl([
          'get',
          'deployments,services,serviceaccounts,configmaps,clusterroles,clusterrolebindings,' +
            'mutatingwebhookconfigurations,validatingwebhookconfigurations',
          '--all-namespaces',
          '-l',
          'app.kubernetes.io/part-of=istio',
          '-o',
          'name',
        ]),
        'get what is left',
      );
      expect(left.trim()).toBe('');
      expect(
        ok(await cluster.kubectl(['get', 'pods', '-n', 'istio-system', '-o', 'name']), 'pods').trim(),
      ).toBe('');
      const crds = ok(await cluster.kubectl(['get', 'crd', '-o', 'name']), 'get crd');
      expect(
        crds
          .trim()
          .split('\n')
          .filter((c) => c.includes('istio.io')),
      ).toHaveLength(15);
    },
    HELM_MS,
  );
});
