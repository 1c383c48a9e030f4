import type { AdsClientNode, JsonValue } from '@mesh/xds';

import type { ProxyOptions } from '../options.js';

const ISTIO_VERSION = '1.27.0';

/**
 * The xDS node a sidecar announces, as Istio's pilot-agent builds it: the id
 * `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local` and the metadata istiod reads to know the workload
 * (NAMESPACE, LABELS, SERVICE_ACCOUNT, INSTANCE_IPS, WORKLOAD_NAME, ...). On the local platform the
 * same metadata makes the proxy an endpoint of the services whose selectors match its labels.
 */
export function proxyNode(options: ProxyOptions): AdsClientNode {
  const ns = options.namespace;
  const workloadName =
    options.extraMetadata['WORKLOAD_NAME'] ?? workloadNameOf(options.podName, options.labels);
  const metadata: Record<string, JsonValue> = {
    ...options.extraMetadata,
    NAME: options.podName,
    NAMESPACE: ns,
    SERVICE_ACCOUNT: options.serviceAccount,
    LABELS: options.labels,
    INSTANCE_IPS: options.instanceIp,
    WORKLOAD_NAME: workloadName,
    INTERCEPTION_MODE: 'REDIRECT',
    ISTIO_VERSION,
    CLUSTER_ID: options.extraMetadata['CLUSTER_ID'] ?? 'Kubernetes',
    MESH_ID: options.extraMetadata['MESH_ID'] ?? options.trustDomain,
  };
  if (options.inboundPorts.size > 0)
    metadata['POD_PORTS'] = JSON.stringify(
      [...options.inboundPorts.keys()].map((containerPort) => ({ containerPort, protocol: 'TCP' })),
    );
  return {
    id: `${options.capture === 'router' ? 'router' : 'sidecar'}~${options.instanceIp}~${options.podName}.${ns}~${options.dnsDomain ?? `${ns}.svc.cluster.local`}`,
    cluster: `${workloadName}.${ns}`,
    metadata,
    userAgent: { name: 'mesh-proxy', version: ISTIO_VERSION },
  };
}

/**
 * The workload (deployment) a pod belongs to, as Istio guesses it without owner references: the
 * `app` label when present, else the pod name without its ReplicaSet and pod hashes.
 */
export function workloadNameOf(podName: string, labels: Readonly<Record<string, string>>): string {
  const parts = podName.split('-');
  if (
    parts.length >= 3 &&
    /^[a-z0-9]{5}$/.test(parts.at(-1) ?? '') &&
    /^[a-z0-9]{6,10}$/.test(parts.at(-2) ?? '')
  )
    return parts.slice(0, -2).join('-');
  return labels['app'] ?? podName;
}
