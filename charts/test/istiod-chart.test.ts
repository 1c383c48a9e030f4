import { MESH_WATCHED_KINDS, parseApiVersion, parseInjectionValues, parseInjectorConfig } from '@mesh/kube';
import { parseMeshConfigYaml } from '@mesh/policy';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

import { only, render, renderError, type KubeObject } from './helm.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface PodSpecOf {
  spec: {
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        containers: {
          image: string;
          args: string[];
          env: { name: string; value?: string }[];
          ports: { containerPort: number }[];
          readinessProbe: { httpGet: { path: string; port: number } };
        }[];
      };
    };
  };
}

const ISTIOD_ROLE = 'istiod-clusterrole-istio-system';
const rulesOf = (objects: KubeObject[], name = ISTIOD_ROLE) =>
  only<{ rules: Rule[] }>(objects, 'ClusterRole', name).rules;
const readRules = (rules: Rule[]) => rules.filter((r) => r.verbs.join() === 'list,watch');

describe('charts/istiod: the Deployment, Service and ServiceAccount', () => {
  const objects = render('istiod');

  it("serves Istio's ports: xDS 15010 and 15012, the webhooks as 443 → 15017, monitoring 15014", () => {
    const service = only<{ spec: { ports: unknown[]; selector: unknown } }>(objects, 'Service', 'istiod');
    expect(service.spec.ports).toEqual([
      { name: 'grpc-xds', port: 15010, protocol: 'TCP', targetPort: 15010 },
      { name: 'https-dns', port: 15012, protocol: 'TCP', targetPort: 15012 },
      { name: 'https-webhook', port: 443, protocol: 'TCP', targetPort: 15017 },
      { name: 'http-monitoring', port: 15014, protocol: 'TCP', targetPort: 15014 },
    ]);
    expect(service.spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': 'default' });
    const pod = only<PodSpecOf>(objects, 'Deployment', 'istiod').spec.template;
    expect(pod.metadata.labels).toMatchObject(service.spec.selector as Record<string, string>);
    expect(pod.spec.containers[0]!.ports.map((p) => p.containerPort)).toEqual([15010, 15012, 15017, 15014]);
    expect(pod.spec.containers[0]!.readinessProbe.httpGet).toEqual({ path: '/ready', port: 15014 });
  });

  it('runs <global.hub>/<pilot.image>:<global.tag> as the istiod ServiceAccount, never injected itself', () => {
    const pod = only<PodSpecOf>(objects, 'Deployment', 'istiod').spec.template;
    expect(pod.spec.containers[0]!.image).toBe('localhost/mesh/pilot:0.1.0');
    expect(pod.spec.serviceAccountName).toBe('istiod');
    expect(pod.metadata.labels['sidecar.istio.io/inject']).toBe('false');
    only(objects, 'ServiceAccount', 'istiod');
    const image = (args: string[]) =>
      only<PodSpecOf>(render('istiod', args), 'Deployment').spec.template.spec.containers[0]!.image;
    expect(image(['--set', 'global.hub=registry.example/mesh', '--set', 'global.tag=1.2.3'])).toBe(
      'registry.example/mesh/pilot:1.2.3',
    );
    expect(image(['--set', 'pilot.image=registry.example/istiod:dev'])).toBe('registry.example/istiod:dev');
  });

  it('passes pilot.env to istiod, a boolean as the string "true"', () => {
    const env = only<PodSpecOf>(
      render('istiod', ['--set', 'pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true']),
      'Deployment',
    ).spec.template.spec.containers[0]!.env;
    expect(env).toContainEqual({ name: 'ENABLE_CLUSTER_TRUST_BUNDLE_API', value: 'true' });
    expect(env).toContainEqual({ name: 'REVISION', value: 'default' });
  });

  it('starts istiod with --webhook-port 15017 (a container port) and --revision only for a named revision', () => {
    const container = (args: string[]) =>
      only<PodSpecOf>(render('istiod', args), 'Deployment').spec.template.spec.containers[0]!;
    const main = container([]);
    expect(main.args).toContain('--webhook-port=15017');
    expect(main.ports.map((p) => p.containerPort)).toContain(15017);
    expect(main.args.filter((a) => a.startsWith('--revision'))).toEqual([]);
    const canary = container(['--set', 'revision=canary']);
    expect(canary.args).toEqual(expect.arrayContaining(['--webhook-port=15017', '--revision=canary']));
    expect(canary.ports.map((p) => p.containerPort)).toEqual([15010, 15012, 15017, 15014]);
  });

  it('names everything istiod-<revision> for a named revision', () => {
    const canary = render('istiod', ['--set', 'revision=canary']);
    only(canary, 'Deployment', 'istiod-canary');
    only(canary, 'Service', 'istiod-canary');
    only(canary, 'ServiceAccount', 'istiod-canary');
    only(canary, 'ConfigMap', 'istio-canary');
    only(canary, 'ConfigMap', 'istio-sidecar-injector-canary');
    only(canary, 'ClusterRole', 'istiod-clusterrole-canary-istio-system');
  });
});

describe('charts/istiod: RBAC', () => {
  it('lets istiod list and watch exactly the kinds its informers watch (libs/kube MESH_WATCHED_KINDS)', () => {
    const granted = readRules(rulesOf(render('istiod'))).flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)),
    );
    const watched = MESH_WATCHED_KINDS.map((k) => {
      const plural = k.path.split('/').pop();
      return `${parseApiVersion(k.apiVersion).group}/${plural}`;
    });
    expect(granted.sort()).toEqual(watched.sort());
  });

  it('lists Nodes (ENABLE_NATIVE_SIDECARS=auto), writes only TokenReviews, istio-ca-root-cert ConfigMaps and its own webhooks', () => {
    const writes = rulesOf(render('istiod')).filter((r) => r.verbs.join() !== 'list,watch');
    expect(writes).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['istio-ca-root-cert'],
        verbs: ['update'],
      },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['mutatingwebhookconfigurations'],
        resourceNames: ['istio-sidecar-injector'],
        verbs: ['get', 'patch'],
      },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        resourceNames: ['istio-validator-istio-system', 'istiod-default-validator'],
        verbs: ['get', 'patch'],
      },
    ]);
  });

  it('grants the ClusterTrustBundle only with pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true', () => {
    const bundleRules = (args: string[]) =>
      rulesOf(render('istiod', args)).filter((r) => r.apiGroups.includes('certificates.k8s.io'));
    expect(bundleRules([])).toEqual([]);
    expect(bundleRules(['--set', 'pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=false'])).toEqual([]);
    for (const flag of ['--set', '--set-string']) {
      expect(bundleRules([flag, 'pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true'])).toEqual([
        { apiGroups: ['certificates.k8s.io'], resources: ['clustertrustbundles'], verbs: ['create'] },
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['clustertrustbundles'],
          resourceNames: ['istio.io:istiod-ca:root-cert'],
          verbs: ['get', 'update'],
        },
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['signers'],
          resourceNames: ['istio.io/istiod-ca'],
          verbs: ['attest'],
        },
      ]);
    }
  });

  it("binds the role to istiod's ServiceAccount, and gives base's reader the same reads", () => {
    const objects = render('istiod');
    const binding = only<{ subjects: unknown[]; roleRef: { name: string } }>(objects, 'ClusterRoleBinding');
    expect(binding.roleRef.name).toBe(ISTIOD_ROLE);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'istiod', namespace: 'istio-system' }]);
    const reader = readRules(rulesOf(render('base'), 'istio-reader-clusterrole-istio-system'));
    expect(reader).toEqual(readRules(rulesOf(objects)));
  });
});

describe('charts/istiod: the istio mesh-config ConfigMap', () => {
  const meshOf = (args: string[] = []) =>
    only<{ data: { mesh: string } }>(render('istiod', args), 'ConfigMap', 'istio').data.mesh;

  it("is a MeshConfig istiod accepts, pointing proxies at this istiod's TLS xDS port", () => {
    const parsed = parseMeshConfigYaml(meshOf(), 'istio ConfigMap');
    expect(parsed.errors).toEqual([]);
    expect(parseYaml(meshOf())).toEqual({
      defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012' },
      enablePrometheusMerge: true,
      rootNamespace: 'istio-system',
      trustDomain: 'cluster.local',
    });
  });

  it('merges .Values.meshConfig over it key by key (the demo profile adds access logs)', () => {
    const mesh = parseYaml(
      meshOf(['--set', 'profile=demo', '--set', 'meshConfig.defaultConfig.proxyMetadata.FOO=bar']),
    ) as Record<string, unknown>;
    expect(mesh).toMatchObject({
      accessLogFile: '/dev/stdout',
      defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012', proxyMetadata: { FOO: 'bar' } },
    });
    expect(parseMeshConfigYaml(meshOf(['--set', 'profile=demo']), 'istio ConfigMap').errors).toEqual([]);
  });
});

describe('charts/istiod: the istio-sidecar-injector ConfigMap', () => {
  const injector = (args: string[] = []) => {
    const data = only<{ data: { config: string; values: string } }>(
      render('istiod', args),
      'ConfigMap',
      'istio-sidecar-injector',
    ).data;
    return {
      data,
      config: parseYaml(data.config) as {
        defaultTemplates: string[];
        policy: string;
        neverInjectSelector: unknown[];
        alwaysInjectSelector: unknown[];
        templates: Record<string, string>;
      },
      values: JSON.parse(data.values) as {
        global: { hub: string; tag: string; proxy: { image: string } };
        sidecarInjectorWebhook: { rewriteAppHTTPProbe: boolean };
        pilot: { env: Record<string, unknown> };
        revision: string;
      },
    };
  };

  it("holds Istio's keys: `values` (JSON) and `config`, with no template bodies (istiod builds the pod)", () => {
    const { data, config, values } = injector();
    // What istiod's webhook and kube-inject read it with: accepted as rendered.
    expect(parseInjectorConfig(data.config).defaultTemplates).toEqual(['sidecar']);
    expect(parseInjectionValues(data.values).hub).toBe('localhost/mesh');
    expect(config.defaultTemplates).toEqual(['sidecar']);
    expect(config.policy).toBe('enabled');
    expect(config.templates).toEqual({});
    expect(values.global).toMatchObject({ hub: 'localhost/mesh', tag: '0.1.0', proxy: { image: 'proxyv2' } });
    expect(values.sidecarInjectorWebhook.rewriteAppHTTPProbe).toBe(true);
    expect(values.revision).toBe('');
  });

  it('takes sidecarInjectorWebhook.* and global.proxy.autoInject', () => {
    const { config, values } = injector([
      '--set',
      'sidecarInjectorWebhook.defaultTemplates={gateway}',
      '--set',
      'sidecarInjectorWebhook.neverInjectSelector[0].matchLabels.batch=true',
      '--set',
      'sidecarInjectorWebhook.rewriteAppHTTPProbe=false',
      '--set',
      'global.proxy.autoInject=disabled',
      '--set',
      'pilot.env.ENABLE_NATIVE_SIDECARS=false',
    ]);
    expect(config.defaultTemplates).toEqual(['gateway']);
    expect(config.neverInjectSelector).toEqual([{ matchLabels: { batch: true } }]);
    expect(config.policy).toBe('disabled');
    expect(values.sidecarInjectorWebhook.rewriteAppHTTPProbe).toBe(false);
    expect(values.pilot.env).toEqual({ ENABLE_NATIVE_SIDECARS: false });
  });

  it('refuses custom templates, which istiod would not run, naming them and what to use instead', () => {
    for (const profile of ['default', 'remote']) {
      const error = renderError('istiod', [
        ...['--set', `profile=${profile}`],
        ...['--set', 'sidecarInjectorWebhook.templates.custom=spec: {}'],
        ...['--set', 'sidecarInjectorWebhook.templates.sidecar=spec: {}'],
      ]);
      expect(error).toContain(
        'sidecarInjectorWebhook.templates (custom, sidecar): custom injection templates are not supported: ' +
          'the sidecar and gateway shapes are built into istiod; customise them with values',
      );
    }
  });
});

describe('charts/istiod: the remote profile (an istiod outside the cluster)', () => {
  it('installs no istiod, no RBAC and no ConfigMaps, only webhooks that call the given URLs', () => {
    const objects = render('istiod', [
      '--set',
      'profile=remote',
      '--set',
      'istiodRemote.injectionURL=https://127.0.0.1:15017/inject',
      '--set',
      'base.validationURL=https://127.0.0.1:15017/validate',
    ]);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'MutatingWebhookConfiguration',
      'ValidatingWebhookConfiguration',
    ]);
  });
});
