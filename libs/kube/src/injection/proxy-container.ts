import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import type { ProxyConfig } from '@mesh/policy';

import type { InjectionValues } from './injection-config.js';
import { PROXY_CONTAINER } from './injection-decision.js';
import { SIDECAR_VOLUME_MOUNTS } from './sidecar-volumes.js';
import {
  ENVOY_HEALTH_PORT,
  ENVOY_PROMETHEUS_PORT,
  PROXY_UID,
  type TrafficInterception,
} from './traffic-interception.js';

/**
 * The `istio-proxy` container of Istio's injection template: image, `proxy sidecar|router` args,
 * the environment the agent reads (identity from the downward API, the CA address, the effective
 * ProxyConfig, the workload's metadata for istiod), Envoy's Prometheus port, the startup and
 * readiness probes on Envoy's health port 15021, a non-root read-only security context, and the
 * resources from the chart or the pod's annotations.
 */

export const PROXY_IMAGE_ANNOTATION = 'sidecar.istio.io/proxyImage';
const RESOURCE_ANNOTATIONS = {
  cpu: 'sidecar.istio.io/proxyCPU',
  memory: 'sidecar.istio.io/proxyMemory',
  cpuLimit: 'sidecar.istio.io/proxyCPULimit',
  memoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
} as const;

export interface WorkloadIdentity {
  /** Deployment (or other controller) name; the pod's own name when it has none. */
  name: string;
  /** `kubernetes://apis/<group>/<version>/namespaces/<ns>/<plural>/<name>`, or empty. */
  owner: string;
}

export interface ProxyContainerParams {
  values: InjectionValues;
  annotations: Readonly<Record<string, string>>;
  proxyConfig: ProxyConfig;
  trustDomain: string;
  interception: TrafficInterception;
  appContainers: readonly V1Container[];
  workload: WorkloadIdentity;
  /** `router` for gateways (the `gateway` template), `sidecar` otherwise. */
  proxyType: 'sidecar' | 'router';
  native: boolean;
  /** Original app probes, JSON, when they were rewritten. */
  appProbers?: string;
}

/** `<hub>/<image>:<tag>`, a full reference in `global.proxy.image`, or the pod's annotation. */
export function imageReference(
  values: InjectionValues,
  image: string,
  annotations: Readonly<Record<string, string>> = {},
): string {
  const override = annotations[PROXY_IMAGE_ANNOTATION];
  if (override) return override;
  return image.includes('/') ? image : `${values.hub}/${image}:${values.tag}`;
}

/** Istio's `CA_ADDR`: the chart's caAddress, else istiod of this revision on 15012. */
export function caAddress(values: InjectionValues): string {
  if (values.caAddress !== '') return values.caAddress;
  const istiod =
    values.revision === '' || values.revision === 'default' ? 'istiod' : `istiod-${values.revision}`;
  return `${istiod}.${values.istioNamespace}.svc:15012`;
}

const fieldRef = (name: string, fieldPath: string): V1EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});
const resourceRef = (name: string, resource: string): V1EnvVar => ({
  name,
  valueFrom: { resourceFieldRef: { resource, divisor: '0' } },
});

function proxyEnv(p: ProxyContainerParams): V1EnvVar[] {
  // With the API server's default protocol: the webhook sees defaulted pods, kube-inject raw templates,
  // and both must give the same pod.
  const ports = p.appContainers
    .flatMap((c) => c.ports ?? [])
    .map((port) => ({ ...port, protocol: port.protocol ?? 'TCP' }));
  const env: V1EnvVar[] = [
    { name: 'PILOT_CERT_PROVIDER', value: p.values.pilotCertProvider },
    { name: 'CA_ADDR', value: caAddress(p.values) },
    fieldRef('POD_NAME', 'metadata.name'),
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    fieldRef('INSTANCE_IP', 'status.podIP'),
    fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldRef('HOST_IP', 'status.hostIP'),
    resourceRef('ISTIO_CPU_LIMIT', 'limits.cpu'),
    { name: 'PROXY_CONFIG', value: JSON.stringify(p.proxyConfig) },
    { name: 'ISTIO_META_POD_PORTS', value: JSON.stringify(ports) },
    { name: 'ISTIO_META_APP_CONTAINERS', value: p.appContainers.map((c) => c.name).join(',') },
    resourceRef('GOMEMLIMIT', 'limits.memory'),
    resourceRef('GOMAXPROCS', 'limits.cpu'),
    { name: 'ISTIO_META_CLUSTER_ID', value: p.values.clusterName || 'Kubernetes' },
    fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    { name: 'ISTIO_META_INTERCEPTION_MODE', value: p.interception.mode },
  ];
  if (p.values.network !== '') env.push({ name: 'ISTIO_META_NETWORK', value: p.values.network });
  env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: p.workload.name });
  if (p.workload.owner !== '') env.push({ name: 'ISTIO_META_OWNER', value: p.workload.owner });
  env.push({ name: 'ISTIO_META_MESH_ID', value: p.values.meshID || p.trustDomain });
  env.push({ name: 'TRUST_DOMAIN', value: p.trustDomain });
  if (p.appProbers !== undefined) env.push({ name: 'ISTIO_KUBE_APP_PROBERS', value: p.appProbers });
  for (const [name, value] of Object.entries(p.proxyConfig.proxyMetadata ?? {}))
    if (!env.some((e) => e.name === name)) env.push({ name, value });
  return env;
}

function resources(p: ProxyContainerParams): V1Container['resources'] {
  const a = p.annotations;
  const chart = p.values.proxy.resources;
  const requests = { ...chart['requests'] };
  const limits = { ...chart['limits'] };
  if (a[RESOURCE_ANNOTATIONS.cpu]) requests['cpu'] = a[RESOURCE_ANNOTATIONS.cpu];
  if (a[RESOURCE_ANNOTATIONS.memory]) requests['memory'] = a[RESOURCE_ANNOTATIONS.memory];
  if (a[RESOURCE_ANNOTATIONS.cpuLimit]) limits['cpu'] = a[RESOURCE_ANNOTATIONS.cpuLimit];
  if (a[RESOURCE_ANNOTATIONS.memoryLimit]) limits['memory'] = a[RESOURCE_ANNOTATIONS.memoryLimit];
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

export function proxyContainer(p: ProxyContainerParams): V1Container {
  const v = p.values;
  const health = { httpGet: { path: '/healthz/ready', port: ENVOY_HEALTH_PORT as number | string } };
  const container: V1Container = {
    name: PROXY_CONTAINER,
    image: imageReference(v, v.proxyImage, p.annotations),
    ...(v.imagePullPolicy ? { imagePullPolicy: v.imagePullPolicy } : {}),
    args: [
      'proxy',
      p.proxyType,
      '--domain',
      `$(POD_NAMESPACE).svc.${v.clusterDomain}`,
      `--proxyLogLevel=${p.annotations['sidecar.istio.io/logLevel'] ?? v.proxy.logLevel}`,
      `--proxyComponentLogLevel=${p.annotations['sidecar.istio.io/componentLogLevel'] ?? v.proxy.componentLogLevel}`,
      `--log_output_level=${p.annotations['sidecar.istio.io/agentLogLevel'] ?? v.logging.level}`,
    ],
    env: proxyEnv(p),
    ports: [{ name: 'http-envoy-prom', containerPort: ENVOY_PROMETHEUS_PORT, protocol: 'TCP' }],
    resources: resources(p),
    securityContext: {
      allowPrivilegeEscalation: v.proxy.privileged,
      privileged: v.proxy.privileged,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
    },
    volumeMounts: SIDECAR_VOLUME_MOUNTS.map((m) => ({ ...m })),
  };
  // Status port 0 turns the agent's health endpoints off, and with them the probes (Istio's template).
  if (p.interception.statusPort !== 0) {
    if (v.proxy.startupProbe.enabled)
      container.startupProbe = {
        ...health,
        initialDelaySeconds: 0,
        periodSeconds: 1,
        timeoutSeconds: 3,
        failureThreshold: v.proxy.startupProbe.failureThreshold,
      };
    container.readinessProbe = {
      ...health,
      initialDelaySeconds: v.proxy.readinessInitialDelaySeconds,
      periodSeconds: v.proxy.readinessPeriodSeconds,
      timeoutSeconds: 3,
      failureThreshold: v.proxy.readinessFailureThreshold,
    };
  }
  if (p.native) {
    container.restartPolicy = 'Always';
    container.lifecycle = {
      preStop: { exec: { command: ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain'] } },
    };
  } else if (p.proxyConfig.holdApplicationUntilProxyStarts === true) {
    container.lifecycle = { postStart: { exec: { command: ['pilot-agent', 'wait'] } } };
  }
  return container;
}
