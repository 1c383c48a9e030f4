import type { V1Container } from '@kubernetes/client-node';
import { validateMeshConfig, type ProxyConfig, type ResolvedMeshConfig } from '@mesh/policy';
import { parse as parseYaml } from 'yaml';

import type { JsonPatchOperation } from '../object-patches.js';
import { rewriteAppProbes, shouldRewriteProbes } from './app-probes.js';
import type { InjectionValues, InjectorConfig } from './injection-config.js';
import {
  decidePodInjection,
  PROXY_CONTAINER,
  REVISION_LABEL,
  SIDECAR_STATUS,
  type InjectionDecision,
} from './injection-decision.js';
import { InjectionError } from './injection-error.js';
import { podNativeSidecarChoice } from './native-sidecars.js';
import { injectionPatch, type PodLike } from './pod-patch.js';
import { PROMETHEUS_ANNOTATIONS_ENV, prometheusMerge } from './prometheus-merge.js';
import { imageReference, proxyContainer, type WorkloadIdentity } from './proxy-container.js';
import { sidecarVolumes } from './sidecar-volumes.js';
import { istioIptablesArgs, trafficInterception } from './traffic-interception.js';
import { canonicalService, workloadOfPod } from './workload-identity.js';

/**
 * Sidecar injection of one pod: Istio's decision, then Istio's injected shape (`istio-init`,
 * `istio-proxy` as a container or a native sidecar, volumes, labels and annotations), returned as
 * the mutated pod (`meshctl kube-inject`) and as the JSON Patch (the `/inject` webhook) from the
 * same computation, so both give the same pod. Pure; an invalid annotation throws InjectionError.
 */

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';
export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';
export const DEFAULT_LOGS_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-logs-container';
export const INIT_CONTAINER = 'istio-init';
/** Templates this injector builds; a ConfigMap may name others, which are refused by name. */
const BUILT_IN_TEMPLATES = ['sidecar', 'gateway'];

export interface InjectionInput {
  pod: PodLike;
  /** The pod's namespace (an AdmissionReview's `request.namespace`, or kube-inject's). */
  namespace: string;
  config: InjectorConfig;
  values: InjectionValues;
  meshConfig: ResolvedMeshConfig;
  /** Native sidecars for this pod as the cluster decides (native-sidecars.ts); the pod's annotation wins. */
  nativeSidecars: boolean;
  /** The workload, when the caller knows it (kube-inject of a Deployment); else derived from the pod. */
  workload?: WorkloadIdentity;
}

export interface InjectionResult {
  decision: InjectionDecision;
  /** The injected pod, or the original when `decision.inject` is false. */
  pod: PodLike;
  /** Empty when nothing is injected. */
  patch: JsonPatchOperation[];
}

/** MeshConfig's `defaultConfig` with the pod's `proxy.istio.io/config` merged over it, field by field. */
export function effectiveProxyConfig(
  meshConfig: ResolvedMeshConfig,
  annotations: Readonly<Record<string, string>>,
): ProxyConfig {
  const text = annotations[PROXY_CONFIG_ANNOTATION];
  if (text === undefined) return meshConfig.defaultConfig;
  const fail = (why: string): never => {
    throw new InjectionError('INJECTION_ANNOTATION_INVALID', `annotation ${PROXY_CONFIG_ANNOTATION}: ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    fail(`cannot be parsed: ${(err as Error).message}`);
  }
  // Validated as MeshConfig's defaultConfig, so every error names its ProxyConfig field.
  const { errors } = validateMeshConfig({ defaultConfig: parsed ?? {} });
  if (errors.length > 0)
    fail(
      errors.map((e) => `${e.path.replace(/^defaultConfig\.?/, '') || '(root)'}: ${e.message}`).join('; '),
    );
  const own = (parsed ?? {}) as ProxyConfig;
  const base = meshConfig.defaultConfig;
  return {
    ...base,
    ...own,
    ...(own.proxyMetadata ? { proxyMetadata: { ...base.proxyMetadata, ...own.proxyMetadata } } : {}),
  };
}

function initContainer(values: InjectionValues, args: string[]): V1Container {
  return {
    name: INIT_CONTAINER,
    image: imageReference(values, values.proxyInitImage),
    ...(values.imagePullPolicy ? { imagePullPolicy: values.imagePullPolicy } : {}),
    args,
    resources: {
      requests: { cpu: '10m', memory: '40Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: values.proxy.privileged,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

function selectTemplate(
  annotations: Readonly<Record<string, string>>,
  config: InjectorConfig,
): 'sidecar' | 'gateway' {
  const requested = annotations[TEMPLATES_ANNOTATION]?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const names = requested && requested.length > 0 ? requested : config.defaultTemplates;
  for (const name of names) {
    if (!BUILT_IN_TEMPLATES.includes(name))
      throw new InjectionError(
        'INJECTION_ANNOTATION_INVALID',
        `injection template "${name}" is not one this injector builds (${BUILT_IN_TEMPLATES.join(', ')})`,
      );
  }
  return names.includes('gateway') ? 'gateway' : 'sidecar';
}

export function injectPod(input: InjectionInput): InjectionResult {
  const { pod, namespace, values, config } = input;
  const meta = pod.metadata ?? {};
  const annotations = meta.annotations ?? {};
  const labels = meta.labels ?? {};
  const spec = pod.spec;
  const decision = decidePodInjection(
    {
      namespace,
      labels,
      annotations,
      hostNetwork: spec.hostNetwork,
    },
    config,
  );
  if (!decision.inject) return { decision, pod, patch: [] };

  const template = selectTemplate(annotations, config);
  const proxyConfig = effectiveProxyConfig(input.meshConfig, annotations);
  const interception = trafficInterception(annotations, values, proxyConfig.interceptionMode ?? 'REDIRECT');
  const native = podNativeSidecarChoice(annotations) ?? input.nativeSidecars;
  const merge = prometheusMerge(
    annotations,
    input.meshConfig.enablePrometheusMerge !== false,
    interception.statusPort || 15020,
  );
  const workload = input.workload ?? workloadOfPod(meta, namespace);
  // A gateway pod brings its own `istio-proxy` (image "auto"): the injector fills it in.
  const own = spec.containers.find((c) => c.name === PROXY_CONTAINER);
  const apps = spec.containers.filter((c) => c.name !== PROXY_CONTAINER);
  const rewrite =
    template === 'sidecar' &&
    interception.statusPort !== 0 &&
    shouldRewriteProbes(annotations, values.rewriteAppHTTPProbe);
  const probes = rewrite
    ? rewriteAppProbes(apps, interception.statusPort)
    : { containers: apps, probers: {} };
  const generated = proxyContainer({
    values,
    annotations,
    proxyConfig,
    trustDomain: input.meshConfig.trustDomain,
    interception,
    appContainers: apps,
    workload,
    proxyType: template === 'gateway' ? 'router' : 'sidecar',
    native,
    ...(Object.keys(probes.probers).length > 0 ? { appProbers: JSON.stringify(probes.probers) } : {}),
  });
  const filled = own ? mergeOwnProxy(generated, own) : generated;
  // As Istio, the app's own scrape annotations go to the end of the sidecar's env.
  const proxy =
    merge?.appScrape === undefined
      ? filled
      : {
          ...filled,
          env: [...(filled.env ?? []), { name: PROMETHEUS_ANNOTATIONS_ENV, value: merge.appScrape }],
        };
  const iptables =
    template === 'sidecar' && interception.mode !== 'NONE'
      ? [initContainer(values, istioIptablesArgs(interception, values.logging.level))]
      : [];

  const podInit = spec.initContainers ?? [];
  const initContainers = native ? [...iptables, proxy, ...podInit] : [...iptables, ...podInit];
  const hold = proxyConfig.holdApplicationUntilProxyStarts === true;
  const containers = native
    ? probes.containers
    : hold
      ? [proxy, ...probes.containers]
      : [...probes.containers, proxy];
  const added = sidecarVolumes({
    tokenAudience: values.tokenAudience,
    clusterTrustBundle: values.pilotEnv['ENABLE_CLUSTER_TRUST_BUNDLE_API'] === 'true',
  });
  const podVolumes = spec.volumes ?? [];
  const volumes = [...podVolumes, ...added.filter((v) => !podVolumes.some((p) => p.name === v.name))];

  const revision = values.revision === '' ? 'default' : values.revision;
  const status = {
    initContainers: [...iptables.map((c) => c.name), ...(native ? [PROXY_CONTAINER] : [])],
    containers: native ? null : [PROXY_CONTAINER],
    volumes: added.map((v) => v.name),
    imagePullSecrets: null,
    revision,
  };
  const canonical = canonicalService(labels, workload.name);
  const firstApp = apps[0]?.name;
  const injectedAnnotations: Record<string, string> = {
    ...(firstApp
      ? { [DEFAULT_CONTAINER_ANNOTATION]: firstApp, [DEFAULT_LOGS_CONTAINER_ANNOTATION]: firstApp }
      : {}),
    ...(merge?.annotations ?? annotations),
    ...config.injectedAnnotations,
    [REVISION_LABEL]: revision,
    [SIDECAR_STATUS]: JSON.stringify(status),
  };
  const injected: PodLike = {
    ...pod,
    metadata: {
      ...meta,
      labels: {
        ...labels,
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': canonical.name,
        'service.istio.io/canonical-revision': canonical.revision,
      },
      annotations: injectedAnnotations,
    },
    spec: {
      ...spec,
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers,
      volumes,
    },
  };
  return { decision, pod: injected, patch: injectionPatch(pod, injected) };
}

/** The pod's own `istio-proxy` fields win over the template's, except `image: auto` (Istio's merge). */
function mergeOwnProxy(generated: V1Container, own: V1Container): V1Container {
  const fields = Object.entries(own).filter(
    ([key, value]) => value !== undefined && !(key === 'image' && value === 'auto'),
  );
  return { ...generated, ...Object.fromEntries(fields) } as V1Container;
}
