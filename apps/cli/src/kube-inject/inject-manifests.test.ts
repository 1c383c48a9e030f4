import { parseInjectionValues, parseInjectorConfig, type PodLike } from '@mesh/kube';
import { DEFAULT_MESH_CONFIG } from '@mesh/policy';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { injectManifests, ManifestError, type InjectionSettings } from './inject-manifests.js';

const settings: InjectionSettings = {
  config: parseInjectorConfig(undefined),
  values: parseInjectionValues(undefined),
  meshConfig: DEFAULT_MESH_CONFIG,
  nativeSidecars: false,
};

const containers = '      containers:\n      - name: app\n        image: nginx\n';
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
spec:
  selector: {matchLabels: {app: nginx}}
  template:
    metadata:
      labels: {app: nginx}
    spec:
${containers}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, navigated by the assertions
type Doc = Record<string, any>;
const documents = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as Doc);
const names = (pod: PodLike | undefined) => ({
  init: pod?.spec.initContainers?.map((c) => c.name),
  containers: pod?.spec.containers.map((c) => c.name),
});

describe('kube-inject over a YAML stream', () => {
  it('injects the pod template of every workload kind and passes other objects through', () => {
    const cronJob = `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: jobs}\nspec:\n  schedule: "@daily"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: task, image: busybox}]\n`;
    const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: nginx}\nspec:\n  ports: [{port: 80}]\n';
    const workloads = ['StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].map((kind) =>
      deployment
        .replace('kind: Deployment', `kind: ${kind}`)
        .replace('apiVersion: apps/v1', `apiVersion: ${kind === 'Job' ? 'batch/v1' : 'apps/v1'}`),
    );
    const input = [deployment, cronJob, service, ...workloads].join('---\n');
    const result = injectManifests(input, 'in.yaml', settings, 'default');
    const [deploy, cron, svc, ...rest] = documents(result.yaml);
    expect(names(deploy?.spec.template)).toEqual({
      init: ['istio-init'],
      containers: ['app', 'istio-proxy'],
    });
    expect(names(cron?.spec.jobTemplate.spec.template)).toEqual({
      init: ['istio-init'],
      containers: ['task', 'istio-proxy'],
    });
    expect(svc).toEqual(documents(service)[0]);
    for (const workload of rest)
      expect(names(workload.spec.template).containers).toEqual(['app', 'istio-proxy']);
    const env = (deploy?.spec.template.spec.containers[1].env ?? []) as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'ISTIO_META_OWNER')?.value).toBe(
      'kubernetes://apis/apps/v1/namespaces/default/deployments/nginx',
    );
    const cronEnv = (cron?.spec.jobTemplate.spec.template.spec.containers[1].env ?? []) as {
      name: string;
      value?: string;
    }[];
    expect(cronEnv.find((e) => e.name === 'ISTIO_META_OWNER')?.value).toBe(
      'kubernetes://apis/batch/v1/namespaces/jobs/cronjobs/nightly',
    );
    expect(result.objects.map((o) => [o.kind, o.decision?.inject])).toEqual([
      ['Deployment', true],
      ['CronJob', true],
      ['StatefulSet', true],
      ['DaemonSet', true],
      ['ReplicaSet', true],
      ['Job', true],
    ]);
  });

  it('injects the items of a List and bare Pods, and leaves opted-out and injected ones as they were', () => {
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: nginx}]\n';
    const optedOut = pod.replace('{name: p}', '{name: q, annotations: {sidecar.istio.io/inject: "false"}}');
    const list = `apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify(documents(pod)[0])}\n- ${JSON.stringify(documents(optedOut)[0])}\n`;
    const once = injectManifests(list, 'list.yaml', settings, 'apps');
    const [injected] = documents(once.yaml);
    expect(names(injected?.items[0])).toEqual({ init: ['istio-init'], containers: ['app', 'istio-proxy'] });
    expect(injected?.items[1]).toEqual(documents(optedOut)[0]);
    expect(once.objects.map((o) => [o.name, o.namespace, o.decision?.rule])).toEqual([
      ['p', 'apps', 'policy-enabled'],
      ['q', 'apps', 'pod-annotation'],
    ]);
    const twice = injectManifests(once.yaml, 'again.yaml', settings, 'apps');
    expect(documents(twice.yaml)).toEqual(documents(once.yaml));
    expect(twice.objects[0]?.decision?.rule).toBe('already-injected');
  });

  it.each([
    ['kind: Pod\nmetadata: {name: x}\nspec: {}\n', /document 1 \(Pod x\): the pod has no spec.containers/],
    [`${deployment}---\nkey: [unclosed\n`, /document 2: YAML syntax error/],
    ['- a\n- b\n', /document 1: not a Kubernetes object/],
    [
      deployment.replace(
        'labels: {app: nginx}\n    spec',
        'labels: {app: nginx}\n      annotations: {traffic.sidecar.istio.io/excludeInboundPorts: "http"}\n    spec',
      ),
      /document 1 \(Deployment default\/nginx\): annotation traffic.sidecar.istio.io\/excludeInboundPorts="http"/,
    ],
  ])('refuses bad input naming the document: %#', (input, message) => {
    expect(() => injectManifests(input, 'bad.yaml', settings, 'default')).toThrow(ManifestError);
    expect(() => injectManifests(input, 'bad.yaml', settings, 'default')).toThrow(message);
  });
});
