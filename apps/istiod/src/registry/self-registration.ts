import { TLS_MODE_LABEL, type WorkloadInstance } from '@mesh/policy';
import type { JsonValue, XdsConnection, XdsNodeInfo } from '@mesh/xds';

/**
 * Self-registration for the local platform and VMs: a proxy that connects with workload metadata
 * (Istio's node metadata: NAME, NAMESPACE, SERVICE_ACCOUNT, LABELS, INSTANCE_IPS, POD_PORTS) becomes a
 * workload instance, so it is an endpoint of every service whose selector matches its labels. When it
 * disconnects it stays for a grace period, so a proxy that reconnects (istiod or network blip) does not
 * flap out of every load balancer.
 */
export class SelfRegistration {
  private readonly instances = new Map<string, WorkloadInstance>();
  private readonly removals = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly onChange: () => void,
    private readonly graceMs = 3000,
  ) {}

  connected(connection: XdsConnection): void {
    const instance = workloadFromNode(connection.node);
    if (!instance) return;
    clearTimeout(this.removals.get(connection.node.id));
    this.removals.delete(connection.node.id);
    this.instances.set(connection.node.id, instance);
    this.onChange();
  }

  disconnected(connection: XdsConnection): void {
    const id = connection.node.id;
    if (!this.instances.has(id)) return;
    clearTimeout(this.removals.get(id));
    this.removals.set(
      id,
      setTimeout(() => {
        this.removals.delete(id);
        this.instances.delete(id);
        this.onChange();
      }, this.graceMs).unref(),
    );
  }

  list(): WorkloadInstance[] {
    return [...this.instances.values()];
  }

  stop(): void {
    for (const timer of this.removals.values()) clearTimeout(timer);
  }
}

function stringMap(value: JsonValue | undefined): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;
}

/** POD_PORTS is a JSON string of container ports (`[{"name":"http","containerPort":8080}]`). */
function namedPorts(value: JsonValue | undefined): Record<string, number> {
  if (typeof value !== 'string') return {};
  try {
    const ports = JSON.parse(value) as { name?: string; containerPort?: number }[];
    return Object.fromEntries(
      ports
        .filter((p) => p.name && p.containerPort)
        .map((p) => [p.name as string, p.containerPort as number]),
    );
  } catch {
    return {};
  }
}

/** The workload a node describes, or undefined when its metadata lacks a namespace, labels or an IP. */
export function workloadFromNode(node: XdsNodeInfo): WorkloadInstance | undefined {
  const m = node.metadata;
  const namespace = typeof m['NAMESPACE'] === 'string' ? m['NAMESPACE'] : undefined;
  const address = typeof m['INSTANCE_IPS'] === 'string' ? m['INSTANCE_IPS'].split(',')[0]?.trim() : undefined;
  const labels = stringMap(m['LABELS']);
  if (!namespace || !address || Object.keys(labels).length === 0) return undefined;
  const name = typeof m['NAME'] === 'string' ? m['NAME'] : node.id;
  return {
    name,
    namespace,
    address,
    labels,
    serviceAccount: typeof m['SERVICE_ACCOUNT'] === 'string' ? m['SERVICE_ACCOUNT'] : 'default',
    namedPorts: namedPorts(m['POD_PORTS']),
    locality:
      [node.locality?.region, node.locality?.zone, node.locality?.sub_zone].filter(Boolean).join('/') ||
      undefined,
    // A proxy that registers itself terminates Istio mTLS unless its labels say otherwise.
    tlsMode: labels[TLS_MODE_LABEL] === 'disabled' ? 'disabled' : 'istio',
    origin: 'registered',
  };
}
