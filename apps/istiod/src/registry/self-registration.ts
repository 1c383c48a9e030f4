import { formatSpiffeId, type SpiffeIdentity } from '@mesh/pki';
import type { WorkloadInstance } from '@mesh/registry';
import type { JsonValue, XdsConnection, XdsNodeInfo } from '@mesh/xds';

import { provenIdentity } from '../security/xds-authorization.js';

/** Why a connection did not (re)register, for the log. */
export type RegistrationRefusal = { node: string; peer: string; reason: string };

interface Registration {
  instance: WorkloadInstance;
  /** The identity that registered it: only a connection proving the same identity may take it over. */
  identity: string;
  /** The connection that owns the registration now; only its closing removes the endpoint. */
  owner: string;
}

/**
 * Self-registration for the local platform and VMs: a proxy that connects over mTLS with workload
 * metadata (Istio's node metadata: NAME, LABELS, INSTANCE_IPS, POD_PORTS) becomes a workload instance,
 * an endpoint of every service whose selector matches its labels. Identity is proven, never claimed:
 * only a client certificate verified on the secure port registers, its namespace and service account
 * come from that certificate (xDS authorization has already refused metadata that disagrees), and its
 * TLS mode is `istio` because it holds a mesh certificate. Labels are the workload's claim within its
 * proven namespace, as a pod's labels are in Kubernetes.
 *
 * A registration belongs to the connection that made it: a connection reusing the node id under
 * another identity is refused, and a reconnect of the same identity takes the registration over.
 * When the owner disconnects the instance stays for a grace period, so a proxy that reconnects (istiod
 * or network blip) does not flap out of every load balancer.
 */
export class SelfRegistration {
  private readonly registrations = new Map<string, Registration>();
  private readonly removals = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly onChange: () => void,
    private readonly onRefused: (refusal: RegistrationRefusal) => void = () => undefined,
    private readonly graceMs = 3000,
  ) {}

  connected(connection: XdsConnection): void {
    const id = connection.node.id;
    const refuse = (reason: string) => this.onRefused({ node: id, peer: connection.peer, reason });
    const identity = provenIdentity(connection);
    if (!identity) {
      if (describesWorkload(connection.node))
        refuse('endpoints register only over mTLS with a workload certificate (the secure xDS port)');
      return;
    }
    const instance = workloadFromNode(connection.node, identity);
    if (!instance) return;
    const existing = this.registrations.get(id);
    const spiffe = formatSpiffeId(identity);
    if (existing && existing.identity !== spiffe) {
      refuse(`node id ${id} is registered by ${existing.identity}; ${spiffe} may not take it over`);
      return;
    }
    clearTimeout(this.removals.get(id));
    this.removals.delete(id);
    this.registrations.set(id, { instance, identity: spiffe, owner: connection.id });
    this.onChange();
  }

  disconnected(connection: XdsConnection): void {
    const id = connection.node.id;
    if (this.registrations.get(id)?.owner !== connection.id) return;
    clearTimeout(this.removals.get(id));
    this.removals.set(
      id,
      setTimeout(() => {
        this.removals.delete(id);
        if (this.registrations.get(id)?.owner !== connection.id) return;
        this.registrations.delete(id);
        this.onChange();
      }, this.graceMs).unref(),
    );
  }

  list(): WorkloadInstance[] {
    return [...this.registrations.values()].map((r) => r.instance);
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

function instanceAddress(node: XdsNodeInfo): string | undefined {
  const ips = node.metadata['INSTANCE_IPS'];
  return typeof ips === 'string' ? ips.split(',')[0]?.trim() || undefined : undefined;
}

/** Whether the node asks to be an endpoint (it has labels and an address). */
function describesWorkload(node: XdsNodeInfo): boolean {
  return instanceAddress(node) !== undefined && Object.keys(stringMap(node.metadata['LABELS'])).length > 0;
}

/**
 * The workload a node describes, in the namespace and service account the client proved, or
 * undefined when its metadata lacks labels or an IP.
 */
export function workloadFromNode(node: XdsNodeInfo, identity: SpiffeIdentity): WorkloadInstance | undefined {
  const address = instanceAddress(node);
  const labels = stringMap(node.metadata['LABELS']);
  if (!address || Object.keys(labels).length === 0) return undefined;
  const name = typeof node.metadata['NAME'] === 'string' ? node.metadata['NAME'] : node.id;
  return {
    name,
    namespace: identity.namespace,
    address,
    labels,
    serviceAccount: identity.serviceAccount,
    namedPorts: namedPorts(node.metadata['POD_PORTS']),
    locality:
      [node.locality?.region, node.locality?.zone, node.locality?.sub_zone].filter(Boolean).join('/') ||
      undefined,
    // Decided here, never by the client: it proved it holds a mesh certificate, so it terminates
    // Istio mTLS (a `security.istio.io/tlsMode` label it sends changes nothing).
    tlsMode: 'istio',
    origin: 'registered',
  };
}
