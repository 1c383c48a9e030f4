/**
 * Kubernetes EndpointSlices (`discovery.k8s.io/v1`) → workload instances of their Service. On a cluster
 * the slices, not the Service selector, say which Pods back a Service and on which ports; the Pod a slice
 * endpoint points at (`targetRef`) supplies the labels (subsets), service account (SANs) and tlsMode.
 * Pure functions.
 */

import { SERVICE_NAME_LABEL, type EndpointSlice, type Pod } from '@mesh/policy';
import { TLS_MODE_LABEL, type MeshService, type WorkloadInstance } from './mesh-model.js';

/** `<namespace>/<service name>` of the Service a slice belongs to, or undefined without the label. */
export function endpointSliceServiceKey(slice: EndpointSlice): string | undefined {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return service ? `${slice.metadata.namespace ?? 'default'}/${service}` : undefined;
}

/** `<namespace>/<name>` as Pods are looked up by `targetRef`. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

/**
 * The instances of `service` (a Kubernetes Service) from its slices: one per address of every ready
 * endpoint (`conditions.ready` unset counts as ready, as Kubernetes documents), bound to the service
 * host. FQDN slices are skipped (Istio does too). Ports are the slice's ports by Service port name.
 * Labels, service account and tlsMode come from the target Pod. As in Istio, an endpoint whose `targetRef`
 * names a Pod that `pods` lacks (not synced yet) is left out until the Pod arrives; one without a Pod
 * target has no labels, no service account (so it adds no SAN) and tlsMode `disabled`. The first slice
 * listing an address wins.
 */
export function instancesFromEndpointSlices(
  service: MeshService,
  slices: readonly EndpointSlice[],
  pods: ReadonlyMap<string, Pod>,
): WorkloadInstance[] {
  const instances: WorkloadInstance[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const namespace = slice.metadata.namespace ?? service.namespace;
    const endpointPorts: Record<string, number> = {};
    for (const port of slice.ports ?? [])
      if (typeof port.port === 'number') endpointPorts[port.name ?? ''] = port.port;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      const ref = endpoint.targetRef;
      const expectsPod = ref !== undefined && (ref.kind ?? 'Pod') === 'Pod' && !!ref.name;
      const pod = expectsPod ? pods.get(`${ref.namespace ?? namespace}/${ref.name}`) : undefined;
      if (expectsPod && !pod) continue;
      const labels = pod?.metadata.labels ?? {};
      const namedPorts: Record<string, number> = {};
      for (const container of pod?.spec?.containers ?? [])
        for (const port of container.ports ?? []) if (port.name) namedPorts[port.name] = port.containerPort;
      for (const address of endpoint.addresses ?? []) {
        if (!address || seen.has(address)) continue;
        seen.add(address);
        instances.push({
          name: ref?.name ?? `${slice.metadata.name ?? ''}-${address}`,
          namespace: ref?.namespace ?? namespace,
          address,
          labels,
          serviceAccount: pod ? (pod.spec?.serviceAccountName ?? 'default') : '',
          namedPorts,
          tlsMode: labels[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled',
          origin: 'EndpointSlice',
          boundTo: service.hostname,
          endpointPorts,
        });
      }
    }
  }
  return instances;
}
