import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { istiodRootCert, startIstiod, type IstiodProcess } from '@mesh/launcher';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually, freePort, serviceAccountKubeconfig } from './kube-istiod-helpers.js';
import { BIN } from './processes.js';

/**
 * Seeds 000/001/004 on a real control plane (tools/kube-cluster): istiod runs beside the cluster and
 * serves its webhooks at https://127.0.0.1:PORT (Istio's external-istiod URLs); the webhook
 * configurations name that URL with no caBundle, which istiod fills in. Namespace-label injection of
 * a Deployment (pods Running under kwok), the opt-out annotation, `meshctl kube-inject | kubectl
 * apply` giving the webhook's shape, removing the label, the validating webhook refusing an invalid
 * VirtualService with the field path, istio-ca-root-cert in a new namespace, and the
 * ClusterTrustBundle with ENABLE_CLUSTER_TRUST_BUNDLE_API=true.
 */

const BASE_CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'base');
const ISTIOD_CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'istiod');

const injectionWebhook = (port: number) => `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: { name: istio-sidecar-injector, labels: { istio.io/rev: default } }
webhooks:
  - name: namespace.sidecar-injector.istio.io
    clientConfig: { url: "https://127.0.0.1:${port}/inject" }
    rules: [{ operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods] }]
    namespaceSelector: { matchExpressions: [{ key: istio-injection, operator: In, values: [enabled] }] }
    objectSelector: { matchExpressions: [{ key: sidecar.istio.io/inject, operator: NotIn, values: ["false"] }] }
    sideEffects: None
    admissionReviewVersions: [v1]
    failurePolicy: Fail
`;

/** The injector's settings, as the istiod chart renders them: istiod and kube-inject both read it. */
const INJECTOR_CONFIGMAP = `
apiVersion: v1
kind: ConfigMap
metadata: { name: istio-sidecar-injector, namespace: istio-system }
data:
  values: '{"global": {"hub": "registry.example/mesh", "tag": "1.2.3"}, "revision": ""}'
  config: |
    policy: enabled
    defaultTemplates: [sidecar]
`;

const deployment = (name: string, namespace: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: ${name}, image: nginx, ports: [{ containerPort: 80 }] }]
`;

const optedOutPod = `
apiVersion: v1
kind: Pod
metadata: { name: no-sidecar-pod, namespace: default, annotations: { sidecar.istio.io/inject: "false" } }
spec: { containers: [{ name: app, image: nginx }] }
`;

const LIMITED_ACCOUNT = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: istiod-limited, namespace: istio-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: istiod-limited }
rules: [{ apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: istiod-limited }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: istiod-limited }
subjects: [{ kind: ServiceAccount, name: istiod-limited, namespace: istio-system }]
`;

const ZERO_WEIGHTS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bad-split, namespace: default }
spec:
  hosts: [web]
  http: [{ route: [{ destination: { host: web }, weight: 0 }, { destination: { host: web }, weight: 0 }] }]
`;

interface PodJson {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: {
    containers: { name: string; image?: string }[];
    initContainers?: { name: string; restartPolicy?: string }[];
    volumes?: { name: string }[];
  };
  status: {
    phase?: string;
    containerStatuses?: { ready: boolean }[];
    initContainerStatuses?: { ready: boolean }[];
  };
}

// Each step may wait up to 90 s (eventually) for controllers on two busy cores.
describe('sidecar injection and validation webhooks on a real cluster', { timeout: 150_000 }, () => {
  const dirs = ['e2e-inject-config-', 'e2e-inject-state-', 'e2e-inject-files-'].map((p) =>
    mkdtempSync(join(tmpdir(), p)),
  );
  const [configDir, stateDir, filesDir] = dirs as [string, string, string];
  let cluster: KubeCluster;
  let istiod: IstiodProcess;
  let webhookPort: number;

  const kubectl = (...args: string[]) => cluster.runKubectl(args);
  const pods = async (selector: string, namespace = 'default') =>
    (
      JSON.parse(await kubectl('get', 'pods', '-n', namespace, '-l', selector, '-o', 'json')) as {
        items: PodJson[];
      }
    ).items;
  const names = (list: { name: string }[] | undefined) => (list ?? []).map((c) => c.name);
  const hasProxy = (pod: PodJson) =>
    [...names(pod.spec.containers), ...names(pod.spec.initContainers)].includes('istio-proxy');
  const launch = async (env: NodeJS.ProcessEnv = {}, kubeconfig = cluster.kubeconfig) => {
    istiod = startIstiod(
      { configDir, stateDir, kubeconfig, webhookPort },
      { logs: { memory: true }, readyTimeoutMs: 30_000, env: { ...process.env, ...env } },
    );
    await istiod.ready;
  };

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    webhookPort = await freePort();
    await launch();
    // Seed 001's Helm install, with the external-istiod values: the default validator calls istiod at
    // https://127.0.0.1:PORT/validate and trusts its root (failing closed from the start).
    const root = Buffer.from(readFileSync(istiodRootCert({ stateDir }), 'utf8')).toString('base64');
    await cluster.runHelm([
      ...[
        'install',
        'istio-base',
        BASE_CHART,
        '-n',
        'istio-system',
        '--create-namespace',
        '--wait',
        '--timeout',
        '2m',
      ],
      ...['--set', `base.validationURL=https://127.0.0.1:${webhookPort}/validate`],
      ...['--set', `base.validationCABundle=${root}`],
    ]);
    await cluster.runKubectl(
      ['apply', '-f', '-'],
      INJECTOR_CONFIGMAP + '---' + injectionWebhook(webhookPort),
    );
    // The injection webhook names istiod's URL without a caBundle: istiod sets it (its root) on its
    // revision's webhook configurations; until then the API server cannot trust https://127.0.0.1:PORT.
    await eventually(
      async () =>
        (await kubectl(
          'get',
          'mutatingwebhookconfiguration',
          'istio-sidecar-injector',
          '-o',
          'jsonpath={..caBundle}',
        )) === root,
      'istiod to set the injection webhook caBundle',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; istiod logged:\n${istiod.logs.lines.slice(-30).join('\n')}`);
    });
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await istiod?.stop();
    await cluster?.down();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('injects istio-proxy into the pods of a Deployment in a labelled namespace; they run, every container ready', async () => {
    await kubectl('label', 'namespace', 'default', 'istio-injection=enabled');
    await cluster.runKubectl(['apply', '-f', '-'], deployment('web', 'default'));
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
    const running = await eventually(async () => {
      const list = await pods('app=web');
      const ready = (p: PodJson) =>
        p.status.phase === 'Running' &&
        [...(p.status.containerStatuses ?? []), ...(p.status.initContainerStatuses ?? [])].every(
          (s) => s.ready,
        );
      return list.length === 2 && list.every(ready) && list;
    }, 'two running web pods');
    for (const pod of running) {
      expect(hasProxy(pod)).toBe(true);
      expect(pod.metadata.annotations?.['sidecar.istio.io/status']).toContain('istio-proxy');
      expect(pod.metadata.annotations?.['kubectl.kubernetes.io/default-container']).toBe('web');
      expect(names(pod.spec.volumes)).toEqual(
        expect.arrayContaining(['istio-token', 'istiod-ca-cert', 'istio-envoy']),
      );
    }
  });

  it('leaves a pod annotated sidecar.istio.io/inject: "false" without a sidecar', async () => {
    await cluster.runKubectl(['apply', '-f', '-'], optedOutPod);
    const pod = JSON.parse(await kubectl('get', 'pod', 'no-sidecar-pod', '-o', 'json')) as PodJson;
    expect(names(pod.spec.containers)).toEqual(['app']);
    expect(pod.spec.initContainers).toBeUndefined();
  });

  it('meshctl kube-inject | kubectl apply gives the same pod shape as the webhook', async () => {
    await kubectl('create', 'namespace', 'manual');
    const file = join(filesDir, 'deploy.yaml');
    writeFileSync(file, deployment('web', 'manual'));
    await new Promise<void>((resolve, reject) =>
      execFile(
        'sh',
        [
          '-c',
          `"${process.execPath}" "${BIN.meshctl}" kube-inject -f "${file}" --kubeconfig "${cluster.kubeconfig}" | "${cluster.kubectl}" apply -f -`,
        ],
        { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } },
        (error, _stdout, stderr) => (error ? reject(new Error(stderr)) : resolve()),
      ),
    );
    const manual = await eventually(async () => {
      const list = await pods('app=web', 'manual');
      return list.length === 2 && list;
    }, 'the kube-injected pods');
    const [webhook] = await pods('app=web');
    const shape = (pod: PodJson) =>
      JSON.parse(
        JSON.stringify({
          annotations: pod.metadata.annotations,
          initContainers: pod.spec.initContainers,
          containers: pod.spec.containers,
          // Kubernetes adds its token volume before the webhook runs, after kube-inject: same set.
          volumes: [...(pod.spec.volumes ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
        })
          .replaceAll(`namespaces/${pod.metadata.namespace}/`, 'namespaces/NS/')
          // The service-account token volume Kubernetes adds has a random suffix.
          .replace(/kube-api-access-[a-z0-9]+/g, 'kube-api-access'),
      );
    expect(shape(manual[0]!)).toEqual(shape(webhook!));
  });

  it('stops injecting new pods once the namespace label is removed', async () => {
    await kubectl('label', 'namespace', 'default', 'istio-injection-');
    await cluster.runKubectl(['apply', '-f', '-'], deployment('after', 'default'));
    const list = await eventually(async () => {
      const found = await pods('app=after');
      return found.length === 2 && found;
    }, 'the pods created after the label was removed');
    for (const pod of list) expect(hasProxy(pod)).toBe(false);
  });

  it('with ENABLE_NATIVE_SIDECARS=true, istio-proxy is a native sidecar (restartable init container) and the pods run', async () => {
    await istiod.stop();
    await launch({ ENABLE_NATIVE_SIDECARS: 'true' });
    await kubectl('create', 'namespace', 'native');
    await kubectl('label', 'namespace', 'native', 'istio-injection=enabled');
    await cluster.runKubectl(['apply', '-f', '-'], deployment('nat', 'native'));
    await kubectl('rollout', 'status', 'deployment/nat', '-n', 'native', '--timeout=120s');
    const list = await eventually(async () => {
      const found = await pods('app=nat', 'native');
      const ready = (p: PodJson) =>
        p.status.phase === 'Running' &&
        [...(p.status.containerStatuses ?? []), ...(p.status.initContainerStatuses ?? [])].every(
          (s) => s.ready,
        );
      return found.length === 2 && found.every(ready) && found;
    }, 'two running pods with native sidecars');
    for (const pod of list) {
      expect(pod.spec.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
        ['istio-init', undefined],
        ['istio-proxy', 'Always'],
      ]);
      expect(names(pod.spec.containers)).toEqual(['nat']);
    }
  });

  it('refuses an invalid VirtualService through the validating webhook, naming the field', async () => {
    const refused = await cluster.runKubectl(['apply', '-f', '-'], ZERO_WEIGHTS).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(refused).toMatch(
      /admission webhook "validation\.istio\.io" denied the request: configuration is invalid: spec\.http\[0\]\.route/,
    );
  });

  it('keeps istio-ca-root-cert (the mesh root) in every namespace, a new one included, put back when deleted or edited', async () => {
    await kubectl('create', 'namespace', 'fresh');
    const root = readFileSync(istiodRootCert({ stateDir }), 'utf8');
    const data = await eventually(
      () =>
        kubectl(
          'get',
          'configmap',
          'istio-ca-root-cert',
          '-n',
          'fresh',
          '-o',
          'jsonpath={.data.root-cert\\.pem}',
        ),
      'istio-ca-root-cert in the new namespace',
    );
    expect(data.trim()).toBe(root.trim());
    await kubectl('delete', 'configmap', 'istio-ca-root-cert', '-n', 'fresh');
    await eventually(
      () => kubectl('get', 'configmap', 'istio-ca-root-cert', '-n', 'fresh', '-o', 'name'),
      'istio-ca-root-cert put back after its deletion',
    );
    await kubectl(
      'patch',
      'configmap',
      'istio-ca-root-cert',
      '-n',
      'fresh',
      '--type=merge',
      '-p',
      '{"data":{"root-cert.pem":"tampered"}}',
    );
    await eventually(
      async () =>
        (
          await kubectl(
            'get',
            'configmap',
            'istio-ca-root-cert',
            '-n',
            'fresh',
            '-o',
            'jsonpath={.data.root-cert\\.pem}',
          )
        ).trim() === root.trim(),
      'istio-ca-root-cert rewritten after an edit',
    );
  });

  it('with ENABLE_CLUSTER_TRUST_BUNDLE_API=true, writes the root into the istio.io:istiod-ca:root-cert ClusterTrustBundle', async () => {
    await istiod.stop();
    await launch({ ENABLE_CLUSTER_TRUST_BUNDLE_API: 'true' });
    const root = readFileSync(istiodRootCert({ stateDir }), 'utf8');
    const bundle = await eventually(
      () =>
        kubectl(
          'get',
          'clustertrustbundle',
          'istio.io:istiod-ca:root-cert',
          '-o',
          'jsonpath={.spec.signerName} {.spec.trustBundle}',
        ),
      'the ClusterTrustBundle',
    );
    expect(bundle.startsWith('istio.io/istiod-ca ')).toBe(true);
    expect(bundle.slice('istio.io/istiod-ca '.length).trim()).toBe(root.trim());
  });

  const readyBody = async () => {
    const res = await fetch(`http://127.0.0.1:${(await istiod.ready).monitoringPort}/ready`);
    return res.status === 200 ? await res.text() : `HTTP ${res.status}`;
  };

  it("does all it must with exactly the istiod chart's ClusterRole: caBundle, root ConfigMaps, nothing missing", async () => {
    const rbac = await cluster.runHelm([
      ...['template', 'istiod', ISTIOD_CHART, '-n', 'istio-system'],
      ...['--show-only', 'templates/clusterrole.yaml', '--show-only', 'templates/role.yaml'],
      ...['--show-only', 'templates/serviceaccount.yaml'],
    ]);
    await cluster.runKubectl(['apply', '-f', '-'], rbac);
    const kubeconfig = await serviceAccountKubeconfig(cluster, filesDir, 'istiod');
    await kubectl(
      ...['patch', 'mutatingwebhookconfiguration', 'istio-sidecar-injector', '--type=json'],
      ...['-p', '[{"op":"remove","path":"/webhooks/0/clientConfig/caBundle"}]'],
    );
    await istiod.stop();
    await launch({}, kubeconfig);
    await kubectl('create', 'namespace', 'chart-rbac');
    const root = Buffer.from(readFileSync(istiodRootCert({ stateDir }), 'utf8')).toString('base64');
    await eventually(
      async () =>
        (await kubectl(
          'get',
          'mutatingwebhookconfiguration',
          'istio-sidecar-injector',
          '-o',
          'jsonpath={..caBundle}',
        )) === root,
      'the caBundle patched under the chart RBAC',
    );
    await eventually(
      () => kubectl('get', 'configmap', 'istio-ca-root-cert', '-n', 'chart-rbac', '-o', 'name'),
      'istio-ca-root-cert created under the chart RBAC',
    );
    expect(await readyBody()).toBe('ready\n');
  });

  it('reports a missing permission by name in /ready and keeps serving, instead of crash-looping', async () => {
    // A service account that may read everything and write nothing.
    await cluster.runKubectl(['apply', '-f', '-'], LIMITED_ACCOUNT);
    const limited = await serviceAccountKubeconfig(cluster, filesDir, 'istiod-limited');
    await istiod.stop();
    await launch({}, limited);
    await kubectl('create', 'namespace', 'limited');
    const ready = await eventually(async () => {
      const body = await readyBody();
      return body.includes('missing permission: create configmaps in namespace limited') && body;
    }, '/ready to name the missing permission');
    expect(ready.split('\n')[0]).toBe('ready');
    expect(istiod.logs.lines.join('\n')).toContain(
      'missing Kubernetes permission: create configmaps in namespace limited',
    );
  });
});
