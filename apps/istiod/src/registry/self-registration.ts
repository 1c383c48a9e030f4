import { formatSpiffeId, type SpiffeIdentity } from '@mesh/pki';
import type { WorkloadInstance } from '@mesh/registry';
import type { JsonValue, XdsConnection, XdsNodeInfo } from '@mesh/xds';

import { provenIdentity } from '../security/xds-authorization.js';
import type { SavedRegistration } from './registration-file.js';

/** Why a connection did not (re)register, for the log. */
export type RegistrationRefusal = { node: string; peer: string; reason: string };

interface Registration {
  instance: WorkloadInstance;
  /** The identity that registered it: only a connection proving the same identity may take it over. */
  identity: SpiffeIdentity;
  /** The node it was derived from, as kept for istiod's next run. */
  node: XdsNodeInfo;
  /**
   * The connection that owns the registration now; only its closing removes the endpoint. Undefined
   * for a registration restored from istiod's previous run, until its proxy reconnects.
   */
  owner: string | undefined;
}

export interface SelfRegistrationOptions {
  onChange: () => void;
  onRefused?: (refusal: RegistrationRefusal) => void;
  /** How long an endpoint stays after its connection closed, for the proxy to reconnect. */
  disconnectGraceMs?: number;
  /** Registrations istiod's previous run had proven (see registration-file.ts). */
  restored?: readonly SavedRegistration[];
  /** How long a restored registration waits for its proxy before it is removed. */
  restoredGraceMs?: number;
  /** Told when a restored registration is removed because its proxy did not come back. */
  onRestoredExpired?: (node: string) => void;
  /** Given the registrations of connected proxies each time they change, to keep them. */
  persist?: (registrations: SavedRegistration[]) => void;
}

/** The node metadata a workload is derived from (see `workloadFromNode`): all that is kept of a node. */
const WORKLOAD_METADATA = ['NAME', 'INSTANCE_IPS', 'LABELS', 'POD_PORTS'] as const;

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
 *
 * istiod itself restarting is the same blip seen from the other side: the registrations of connected
 * proxies are persisted, and a restarted istiod serves them (under the identity that proved them)
 * until each proxy reconnects and takes its registration over, or the restored grace period ends and
 * the endpoint of a proxy that did not come back is removed. Only registrations a live connection
 * proved are persisted: a restored one that was not confirmed does not outlive the next restart.
 */
export class SelfRegistration {
  private readonly registrations = new Map<string, Registration>();
  private readonly removals = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: SelfRegistrationOptions) {
    const instances = (options.restored ?? []).flatMap(({ node, identity }) => {
      const instance = workloadFromNode(node, identity);
      return instance ? [{ instance, identity, node, owner: undefined }] : [];
    });
    for (const registration of instances) {
      this.registrations.set(registration.node.id, registration);
      this.scheduleRemoval(registration.node.id, undefined, options.restoredGraceMs ?? 0);
    }
  }

  connected(connection: XdsConnection): void {
    if (this.stopped) return;
    const id = connection.node.id;
    const refuse = (reason: string) => this.options.onRefused?.({ node: id, peer: connection.peer, reason });
    const identity = provenIdentity(connection);
    if (!identity) {
      if (describesWorkload(connection.node))
        refuse('endpoints register only over mTLS with a workload certificate (the secure xDS port)');
      return;
    }
    const node = workloadNode(connection.node);
    const instance = workloadFromNode(node, identity);
    if (!instance) return;
    const holder = this.registrations.get(id)?.identity;
    const spiffe = formatSpiffeId(identity);
    if (holder && formatSpiffeId(holder) !== spiffe) {
      refuse(`node id ${id} is registered by ${formatSpiffeId(holder)}; ${spiffe} may not take it over`);
      return;
    }
    clearTimeout(this.removals.get(id));
    this.removals.delete(id);
    this.registrations.set(id, { instance, identity, node, owner: connection.id });
    this.changed();
  }

  disconnected(connection: XdsConnection): void {
    if (this.stopped) return;
    const id = connection.node.id;
    if (this.registrations.get(id)?.owner !== connection.id) return;
    this.scheduleRemoval(id, connection.id, this.options.disconnectGraceMs ?? 3000);
    this.persist();
  }

  list(): WorkloadInstance[] {
    return [...this.registrations.values()].map((r) => r.instance);
  }

  /** Stops the removal timers; connections closing from now on (istiod shutting down) change nothing. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.removals.values()) clearTimeout(timer);
  }

  /** Removes the registration after `ms`, unless another owner has taken it over by then. */
  private scheduleRemoval(id: string, owner: string | undefined, ms: number): void {
    clearTimeout(this.removals.get(id));
    this.removals.set(
      id,
      setTimeout(() => {
        this.removals.delete(id);
        if (this.registrations.get(id)?.owner !== owner) return;
        this.registrations.delete(id);
        if (owner === undefined) this.options.onRestoredExpired?.(id);
        this.options.onChange();
      }, ms).unref(),
    );
  }

  private changed(): void {
    this.options.onChange();
    this.persist();
  }

  /** Keeps the registrations whose proxies are connected now. */
  private persist(): void {
    const live = [...this.registrations.values()].filter(
      (r) => r.owner !== undefined && !this.removals.has(r.node.id),
    );
    this.options.persist?.(live.map(({ identity, node }) => ({ identity, node })));
  }
}

/** The node as kept for a registration: its id, locality and workload metadata only. */
function workloadNode(node: XdsNodeInfo): XdsNodeInfo {
  const metadata = Object.fromEntries(
    WORKLOAD_METADATA.flatMap((key) => (node.metadata[key] === undefined ? [] : [[key, node.metadata[key]]])),
  ) as Record<string, JsonValue>;
  return {
    id: node.id,
    cluster: node.cluster,
    metadata,
    ...(node.locality ? { locality: node.locality } : {}),
  };
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
