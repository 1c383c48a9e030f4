/**
 * The service registry model: what services exist, on which ports, and which workload instances back
 * them. Built from Kubernetes Services and Pods, ServiceEntries and WorkloadEntries, and workloads that
 * registered themselves by connecting (local platform, VMs). Pure data, shared by istiod's generators
 * and the CLI.
 */

export const DEFAULT_DOMAIN_SUFFIX = 'cluster.local';

/** Istio's label marking a workload that terminates Istio mTLS (set by injection). */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

export interface MeshServicePort {
  /** Port name (`http`, `grpc-web`, ...): also selects the protocol when no appProtocol is set. */
  name: string;
  port: number;
  /** Number, named container port, or undefined (= port). */
  targetPort?: number | string;
  /** HTTP, HTTP2, GRPC, TCP, TLS, ... (upper case), from protocol/appProtocol/name. */
  protocol: string;
}

export interface MeshService {
  /** Fully qualified: `reviews.default.svc.cluster.local`, or the ServiceEntry host. */
  hostname: string;
  namespace: string;
  /** Short name for Kubernetes services (`reviews`); the host for ServiceEntries. */
  name: string;
  ports: MeshServicePort[];
  /** Instances whose labels contain these back the service; undefined: no selector. */
  selector?: Record<string, string>;
  /** Virtual IPs (ClusterIP or ServiceEntry addresses). */
  addresses: string[];
  origin: 'Service' | 'ServiceEntry';
  /** How clients find endpoints: STATIC (EDS), DNS, or NONE (passthrough). */
  resolution: 'STATIC' | 'DNS' | 'NONE';
  /**
   * Namespaces the service is visible from (Service annotation `networking.istio.io/exportTo`,
   * ServiceEntry `exportTo`): `*`, `.`, `~` or names; undefined = `*` (see `isExportedTo`).
   */
  exportTo?: string[];
  /**
   * A Kubernetes Service with at least one EndpointSlice: its Pod endpoints are the slices' ready
   * endpoints (instances bound to it), not the Pods its selector matches. WorkloadEntries and
   * self-registered workloads its selector matches still count, as in Istio.
   */
  endpointsFromSlices?: boolean;
}

/** A workload that can serve traffic: a Pod, a WorkloadEntry, or a proxy that registered itself. */
export interface WorkloadInstance {
  name: string;
  namespace: string;
  address: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** Named ports (container ports, or WorkloadEntry `ports`: service port name → target port). */
  namedPorts: Record<string, number>;
  locality?: string;
  weight?: number;
  /** `istio` when the workload accepts Istio mTLS (auto-mTLS sends it mTLS). */
  tlsMode: 'istio' | 'disabled';
  origin: 'Pod' | 'WorkloadEntry' | 'registered' | 'EndpointSlice';
  /** ServiceEntry inline endpoints and EndpointSlice endpoints belong to that one service host only. */
  boundTo?: string;
  /**
   * EndpointSlice ports: Service port name → endpoint port. When set, the instance serves exactly these
   * service ports (a port missing here has no endpoint on it).
   */
  endpointPorts?: Record<string, number>;
}

/** One endpoint of one service port. */
export interface MeshEndpoint {
  address: string;
  port: number;
  labels: Record<string, string>;
  serviceAccount: string;
  locality?: string;
  weight: number;
  tlsMode: 'istio' | 'disabled';
  workload: string;
}

/** Whether `labels` holds every key/value of `required` (an empty `required` holds for any labels). */
export function labelsMatch(
  required: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(required).every(([key, value]) => labels[key] === value);
}

/** Whether a service's selector picks a workload; a service without a selector picks none (Kubernetes). */
export function serviceSelects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  return selector !== undefined && labelsMatch(selector, labels);
}

/** Istio's host resolution: a short name (no dot) is `<name>.<namespace>.svc.<suffix>`; others are taken as written. */
export function resolveHost(host: string, namespace: string, domainSuffix = DEFAULT_DOMAIN_SUFFIX): string {
  return host.includes('.') || host.includes('*') ? host : `${host}.${namespace}.svc.${domainSuffix}`;
}

/** Istio's protocol selection from a port: appProtocol, then the name prefix (`http-foo`), else TCP. */
export function protocolOf(name: string | undefined, appProtocol?: string, declared?: string): string {
  const candidates = [declared, appProtocol, name?.split('-')[0]];
  for (const candidate of candidates) {
    const value = candidate?.toLowerCase();
    if (!value) continue;
    if (
      value === 'http' ||
      value === 'http2' ||
      value === 'grpc' ||
      value === 'grpc-web' ||
      value === 'https' ||
      value === 'tls' ||
      value === 'mongo' ||
      value === 'redis' ||
      value === 'mysql'
    ) {
      return value.toUpperCase();
    }
    if (value === 'kubernetes.io/h2c') return 'HTTP2';
  }
  return 'TCP';
}

/** The endpoints of one service port: instances selected by the service, with the port resolved. */
export function endpointsOf(
  service: MeshService,
  port: MeshServicePort,
  instances: readonly WorkloadInstance[],
): MeshEndpoint[] {
  const endpoints: MeshEndpoint[] = [];
  for (const instance of instances) {
    const bound = instance.boundTo !== undefined;
    if (
      bound
        ? instance.boundTo !== service.hostname
        : instance.namespace !== service.namespace && service.origin === 'Service'
    )
      continue;
    if (!bound && !serviceSelects(service.selector, instance.labels)) continue;
    // Pods of a Service with EndpointSlices are taken from the slices (the bound instances) only.
    if (!bound && service.endpointsFromSlices && instance.origin === 'Pod') continue;
    const target = targetPortOf(port, instance);
    if (target === undefined) continue;
    endpoints.push({
      address: instance.address,
      port: target,
      labels: instance.labels,
      serviceAccount: instance.serviceAccount,
      locality: instance.locality,
      weight: instance.weight ?? 1,
      tlsMode: instance.tlsMode,
      workload: `${instance.namespace}/${instance.name}`,
    });
  }
  return endpoints.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
}

function targetPortOf(port: MeshServicePort, instance: WorkloadInstance): number | undefined {
  if (instance.endpointPorts) return instance.endpointPorts[port.name];
  if (instance.origin === 'WorkloadEntry' && instance.namedPorts[port.name] !== undefined)
    return instance.namedPorts[port.name];
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (typeof port.targetPort === 'string') return instance.namedPorts[port.targetPort];
  return port.port;
}
