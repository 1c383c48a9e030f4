import type { EndpointSlice, Pod, Service, ServiceEntry, StoredConfig, WorkloadEntry } from '@mesh/policy';
import { endpointSliceServiceKey, instancesFromEndpointSlices, podKey } from './endpoint-slices.js';
import { EXPORT_TO_ANNOTATION, parseExportTo } from './export-to.js';
import { protocolOf, TLS_MODE_LABEL, type MeshService, type WorkloadInstance } from './mesh-model.js';

/** Kubernetes Service → one mesh service `<name>.<namespace>.svc.<suffix>`. */
export function serviceFromKubernetes(service: Service, domainSuffix: string): MeshService {
  const namespace = service.metadata.namespace ?? 'default';
  const spec = service.spec ?? {};
  const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter(
    (ip) => ip && ip !== 'None',
  );
  const exportTo = parseExportTo(service.metadata.annotations?.[EXPORT_TO_ANNOTATION]);
  return {
    hostname: `${service.metadata.name}.${namespace}.svc.${domainSuffix}`,
    namespace,
    name: service.metadata.name ?? '',
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: p.port,
      targetPort: p.targetPort,
      protocol: protocolOf(p.name, p.appProtocol),
    })),
    selector: spec.selector,
    addresses: ips,
    origin: 'Service',
    resolution: 'STATIC',
    ...(exportTo ? { exportTo } : {}),
  };
}

/** ServiceEntry → one mesh service per host; inline endpoints become instances bound to it. */
export function servicesFromServiceEntry(entry: ServiceEntry): {
  services: MeshService[];
  instances: WorkloadInstance[];
} {
  const namespace = entry.metadata.namespace ?? 'default';
  const spec = entry.spec;
  const services: MeshService[] = [];
  const instances: WorkloadInstance[] = [];
  for (const host of spec.hosts ?? []) {
    services.push({
      hostname: host,
      namespace,
      name: host,
      ports: (spec.ports ?? []).map((p) => ({
        name: p.name ?? '',
        port: p.number,
        targetPort: p.targetPort,
        protocol: protocolOf(p.name, undefined, p.protocol),
      })),
      selector: spec.workloadSelector?.labels,
      addresses: spec.addresses ?? [],
      origin: 'ServiceEntry',
      resolution: resolutionOf(spec.resolution),
      exportTo: spec.exportTo,
    });
    (spec.endpoints ?? []).forEach((endpoint, i) => {
      instances.push({
        name: `${entry.metadata.name}-${i}`,
        namespace,
        address: endpoint.address ?? '',
        labels: endpoint.labels ?? {},
        serviceAccount: endpoint.serviceAccount ?? 'default',
        namedPorts: endpoint.ports ?? {},
        locality: endpoint.locality,
        weight: endpoint.weight,
        tlsMode: endpoint.labels?.[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled',
        origin: 'WorkloadEntry',
        boundTo: host,
      });
    });
  }
  return { services, instances };
}

export function instanceFromWorkloadEntry(entry: WorkloadEntry): WorkloadInstance {
  const spec = entry.spec;
  return {
    name: entry.metadata.name ?? '',
    namespace: entry.metadata.namespace ?? 'default',
    address: spec.address ?? '',
    labels: spec.labels ?? {},
    serviceAccount: spec.serviceAccount ?? 'default',
    namedPorts: spec.ports ?? {},
    locality: spec.locality,
    weight: spec.weight,
    tlsMode: spec.labels?.[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled',
    origin: 'WorkloadEntry',
  };
}

/** A running Pod with an IP; its container ports give the named target ports. */
export function instanceFromPod(pod: Pod): WorkloadInstance | undefined {
  const address = pod.status?.podIP;
  if (!address) return undefined;
  const labels = pod.metadata.labels ?? {};
  const namedPorts: Record<string, number> = {};
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) if (port.name) namedPorts[port.name] = port.containerPort;
  }
  return {
    name: pod.metadata.name ?? '',
    namespace: pod.metadata.namespace ?? 'default',
    address,
    labels,
    serviceAccount: pod.spec?.serviceAccountName ?? 'default',
    namedPorts,
    tlsMode: labels[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled',
    origin: 'Pod',
  };
}

/**
 * Services and instances from a config snapshot plus the workloads that registered themselves. A
 * Kubernetes Service with EndpointSlices (label `kubernetes.io/service-name`) gets its Pod endpoints from
 * them; one without (the local platform) from the Pods and WorkloadEntries its selector matches.
 */
export function buildRegistry(
  configs: readonly StoredConfig[],
  registered: readonly WorkloadInstance[],
  domainSuffix: string,
): { services: MeshService[]; instances: WorkloadInstance[] } {
  const services: MeshService[] = [];
  const instances: WorkloadInstance[] = [...registered];
  const slicesByService = new Map<string, EndpointSlice[]>();
  const pods = new Map<string, Pod>();
  for (const config of configs) {
    if (config.kind === 'EndpointSlice') {
      const slice = config.object as unknown as EndpointSlice;
      const key = endpointSliceServiceKey(withNamespace(slice, config.namespace));
      if (key) slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
    } else if (config.kind === 'Pod') {
      pods.set(
        podKey(withNamespace(config.object as unknown as Pod, config.namespace)),
        config.object as unknown as Pod,
      );
    }
  }
  for (const config of configs) {
    switch (config.kind) {
      case 'Service': {
        const service = serviceFromKubernetes(
          withNamespace(config.object as unknown as Service, config.namespace),
          domainSuffix,
        );
        const slices = slicesByService.get(`${service.namespace}/${service.name}`);
        if (slices) {
          service.endpointsFromSlices = true;
          instances.push(
            ...instancesFromEndpointSlices(
              service,
              slices.map((slice) => withNamespace(slice, service.namespace)),
              pods,
            ),
          );
        }
        services.push(service);
        break;
      }
      case 'ServiceEntry': {
        const fromEntry = servicesFromServiceEntry(config.object as unknown as ServiceEntry);
        services.push(...fromEntry.services);
        instances.push(...fromEntry.instances);
        break;
      }
      case 'WorkloadEntry':
        instances.push(instanceFromWorkloadEntry(config.object as unknown as WorkloadEntry));
        break;
      case 'Pod': {
        const instance = instanceFromPod(config.object as unknown as Pod);
        if (instance) instances.push(instance);
        break;
      }
    }
  }
  return { services, instances };
}

/**
 * The object with `metadata.namespace` filled from its stored config when the document left it out (a
 * file store defaults it), so lookups by namespace agree with the store.
 */
function withNamespace<T extends { metadata: { namespace?: string } }>(object: T, namespace: string): T {
  return object.metadata.namespace ? object : { ...object, metadata: { ...object.metadata, namespace } };
}

/** ServiceEntry resolution as the registry uses it: every DNS flavour resolves by DNS. */
function resolutionOf(resolution: string | undefined): MeshService['resolution'] {
  if (resolution === 'STATIC') return 'STATIC';
  if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN' || resolution === 'DYNAMIC_DNS') return 'DNS';
  return 'NONE';
}
