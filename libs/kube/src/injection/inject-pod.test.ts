import { DEFAULT_MESH_CONFIG } from '@mesh/policy';
import { describe, expect, it } from 'vitest';

import { applyJsonPatch } from '../object-patches.js';
import { injectPod, type InjectionInput } from './inject-pod.js';
import { parseInjectionValues, parseInjectorConfig } from './injection-config.js';
import { isInjectionError } from './injection-error.js';
import type { PodLike } from './pod-patch.js';

const hello = (annotations: Record<string, string> = {}): PodLike => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'hello-7d4b9c8f6d-',
    namespace: 'default',
    labels: { app: 'hello', version: 'v1' },
    annotations,
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'hello-7d4b9c8f6d', controller: true },
    ],
  },
  spec: {
    containers: [
      {
        name: 'hello',
        image: 'nginx',
        ports: [{ name: 'http', containerPort: 80 }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
        livenessProbe: { tcpSocket: { port: 80 } },
      },
    ],
  },
});

const input = (pod: PodLike, over: Partial<InjectionInput> = {}): InjectionInput => ({
  pod,
  namespace: 'default',
  config: parseInjectorConfig(undefined),
  values: parseInjectionValues(undefined),
  meshConfig: DEFAULT_MESH_CONFIG,
  nativeSidecars: false,
  ...over,
});

const env = (pod: PodLike, name: string, container = 'istio-proxy') =>
  [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])]
    .find((c) => c.name === container)
    ?.env?.find((e) => e.name === name);

describe('injectPod: the injected shape', () => {
  it("adds istio-init, istio-proxy, Istio's volumes, labels and annotations; the patch gives the same pod", () => {
    const original = hello();
    const result = injectPod(input(original));
    const pod = result.pod;
    expect(result.decision).toMatchObject({ inject: true, rule: 'policy-enabled' });
    expect(pod.spec.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['hello', 'istio-proxy']);
    expect(pod.spec.initContainers?.[0]?.args).toEqual([
      'istio-iptables',
      '-p',
      '15001',
      '-z',
      '15006',
      '-u',
      '1337',
      '-m',
      'REDIRECT',
      '-i',
      '*',
      '-x',
      '',
      '-b',
      '*',
      '-d',
      '15090,15021,15020',
      '--log_output_level=default:info',
    ]);
    const proxy = pod.spec.containers[1]!;
    expect(proxy.readinessProbe?.httpGet).toEqual({ path: '/healthz/ready', port: 15021 });
    expect(proxy.ports).toEqual([{ name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' }]);
    expect(proxy.securityContext).toMatchObject({
      runAsUser: 1337,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    expect(env(pod, 'CA_ADDR')?.value).toBe('istiod.istio-system.svc:15012');
    expect(env(pod, 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(env(pod, 'SERVICE_ACCOUNT')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.serviceAccountName');
    expect(env(pod, 'ISTIO_META_WORKLOAD_NAME')?.value).toBe('hello');
    expect(JSON.parse(env(pod, 'ISTIO_META_POD_PORTS')!.value!)).toEqual([
      { name: 'http', containerPort: 80, protocol: 'TCP' },
    ]);
    expect(env(pod, 'ISTIO_META_OWNER')?.value).toBe(
      'kubernetes://apis/apps/v1/namespaces/default/deployments/hello',
    );
    expect(JSON.parse(env(pod, 'PROXY_CONFIG')!.value!)).toMatchObject({
      discoveryAddress: 'istiod.istio-system.svc:15012',
    });
    const volumes = Object.fromEntries((pod.spec.volumes ?? []).map((v) => [v.name, v]));
    expect(volumes['istio-token']?.projected?.sources?.[0]?.serviceAccountToken).toEqual({
      audience: 'istio-ca',
      expirationSeconds: 43200,
      path: 'istio-token',
    });
    expect(volumes['istiod-ca-cert']?.configMap?.name).toBe('istio-ca-root-cert');
    expect(Object.keys(volumes)).toEqual(
      expect.arrayContaining(['istio-envoy', 'istio-data', 'istio-podinfo']),
    );
    const annotations = pod.metadata?.annotations ?? {};
    expect(annotations['kubectl.kubernetes.io/default-container']).toBe('hello');
    expect(JSON.parse(annotations['sidecar.istio.io/status']!)).toEqual({
      initContainers: ['istio-init'],
      containers: ['istio-proxy'],
      volumes: [
        'workload-socket',
        'credential-socket',
        'workload-certs',
        'istio-envoy',
        'istio-data',
        'istio-podinfo',
        'istio-token',
        'istiod-ca-cert',
        'istio-ca-crl',
      ],
      imagePullSecrets: null,
      revision: 'default',
    });
    expect(pod.metadata?.labels).toMatchObject({
      'security.istio.io/tlsMode': 'istio',
      'service.istio.io/canonical-name': 'hello',
      'service.istio.io/canonical-revision': 'v1',
    });
    expect(applyJsonPatch(original, result.patch)).toEqual(pod);
    expect(original.spec.containers).toHaveLength(1);
  });

  it('rewrites app probes to the agent and keeps the originals in ISTIO_KUBE_APP_PROBERS', () => {
    const pod = injectPod(input(hello())).pod;
    const app = pod.spec.containers[0]!;
    expect(app.readinessProbe).toEqual({
      periodSeconds: 5,
      httpGet: { path: '/app-health/hello/readyz', port: 15020, scheme: 'HTTP' },
    });
    expect(app.livenessProbe?.httpGet?.path).toBe('/app-health/hello/livez');
    expect(JSON.parse(env(pod, 'ISTIO_KUBE_APP_PROBERS')!.value!)).toEqual({
      '/app-health/hello/readyz': { httpGet: { path: '/ready', port: 80 } },
      '/app-health/hello/livez': { tcpSocket: { port: 80 } },
    });
    const off = injectPod(input(hello({ 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' }))).pod;
    expect(off.spec.containers[0]!.readinessProbe?.httpGet?.port).toBe('http');
    expect(env(off, 'ISTIO_KUBE_APP_PROBERS')).toBeUndefined();
  });

  it('native sidecars: istio-proxy is an init container with restartPolicy Always', () => {
    const pod = injectPod(input(hello(), { nativeSidecars: true })).pod;
    expect(pod.spec.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['istio-init', undefined],
      ['istio-proxy', 'Always'],
    ]);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['hello']);
    expect(JSON.parse(pod.metadata!.annotations!['sidecar.istio.io/status']!)).toMatchObject({
      initContainers: ['istio-init', 'istio-proxy'],
      containers: null,
    });
    const annotated = injectPod(
      input(hello({ 'sidecar.istio.io/nativeSidecar': 'false' }), { nativeSidecars: true }),
    ).pod;
    expect(annotated.spec.containers.map((c) => c.name)).toEqual(['hello', 'istio-proxy']);
  });

  it('honours traffic annotations in the istio-init arguments', () => {
    const pod = injectPod(
      input(
        hello({
          'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8,172.16.0.0/12',
          'traffic.sidecar.istio.io/excludeInboundPorts': '9000',
          'traffic.sidecar.istio.io/excludeOutboundPorts': '5432,6379',
          'sidecar.istio.io/interceptionMode': 'TPROXY',
        }),
      ),
    ).pod;
    const args = pod.spec.initContainers![0]!.args!;
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect([flag('-m'), flag('-i'), flag('-d'), flag('-o')]).toEqual([
      'TPROXY',
      '10.0.0.0/8,172.16.0.0/12',
      '15090,15021,15020,9000',
      '5432,6379',
    ]);
    expect(env(pod, 'ISTIO_META_INTERCEPTION_MODE')?.value).toBe('TPROXY');
  });

  it.each([
    [
      'traffic.sidecar.istio.io/includeOutboundIPRanges',
      '10.0.0.0/33',
      /includeOutboundIPRanges.*10\.0\.0\.0\/33/,
    ],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', 'nope', /excludeOutboundIPRanges/],
    ['traffic.sidecar.istio.io/includeInboundPorts', '80,x', /includeInboundPorts.*"x"/],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '70000', /excludeInboundPorts/],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '-1', /excludeOutboundPorts/],
    ['proxy.istio.io/config', 'concurrency: many', /proxy\.istio\.io\/config: concurrency/],
  ])('refuses an invalid %s naming it', (annotation, value, message) => {
    const error = (() => {
      try {
        injectPod(input(hello({ [annotation]: value })));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(isInjectionError(error, 'INJECTION_ANNOTATION_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('proxy.istio.io/config merges over MeshConfig defaultConfig and can hold the app', () => {
    const pod = injectPod(
      input(hello({ 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true\nconcurrency: 4' })),
    ).pod;
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['istio-proxy', 'hello']);
    expect(pod.spec.containers[0]!.lifecycle?.postStart?.exec?.command).toEqual(['pilot-agent', 'wait']);
    expect(JSON.parse(env(pod, 'PROXY_CONFIG')!.value!)).toMatchObject({ concurrency: 4, statusPort: 15020 });
  });

  it('values and config from the ConfigMap change the shape', () => {
    const values = parseInjectionValues(
      JSON.stringify({
        global: { hub: 'registry.example/mesh', tag: '1.2.3', caAddress: 'ca.example:15012' },
        revision: 'canary',
        pilot: { env: { ENABLE_CLUSTER_TRUST_BUNDLE_API: 'true' } },
      }),
    );
    const config = parseInjectorConfig('policy: enabled\ninjectedAnnotations:\n  team: mesh\n');
    const pod = injectPod(input(hello(), { values, config })).pod;
    expect(pod.spec.containers[1]!.image).toBe('registry.example/mesh/proxyv2:1.2.3');
    expect(env(pod, 'CA_ADDR')?.value).toBe('ca.example:15012');
    expect(pod.metadata?.annotations).toMatchObject({ team: 'mesh', 'istio.io/rev': 'canary' });
    const root = pod.spec.volumes?.find((v) => v.name === 'istiod-ca-cert');
    expect(root?.projected?.sources?.[0]?.clusterTrustBundle).toEqual({
      name: 'istio.io:istiod-ca:root-cert',
      path: 'root-cert.pem',
    });
  });

  it('leaves an opted-out or already injected pod alone, with no patch', () => {
    const optedOut = injectPod(input(hello({ 'sidecar.istio.io/inject': 'false' })));
    expect(optedOut).toMatchObject({ decision: { inject: false, rule: 'pod-annotation' }, patch: [] });
    const twice = injectPod(input(injectPod(input(hello())).pod));
    expect(twice).toMatchObject({ decision: { inject: false, rule: 'already-injected' }, patch: [] });
  });

  it('the gateway template fills in the pod own istio-proxy (image auto) and adds no istio-init', () => {
    const gateway: PodLike = {
      metadata: {
        name: 'gw',
        annotations: { 'inject.istio.io/templates': 'gateway' },
        labels: { istio: 'ingressgateway' },
      },
      spec: { containers: [{ name: 'istio-proxy', image: 'auto', ports: [{ containerPort: 8080 }] }] },
    };
    const pod = injectPod(input(gateway)).pod;
    expect(pod.spec.initContainers).toBeUndefined();
    expect(pod.spec.containers).toHaveLength(1);
    expect(pod.spec.containers[0]).toMatchObject({
      image: 'localhost/mesh/proxyv2:0.1.0',
      ports: [{ containerPort: 8080 }],
    });
    expect(pod.spec.containers[0]!.args?.slice(0, 2)).toEqual(['proxy', 'router']);
  });
});
