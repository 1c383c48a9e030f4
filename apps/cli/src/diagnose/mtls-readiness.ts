import { renderObject, table, type OutputFormat } from './render-output.js';

/**
 * What `meshctl mtls readiness` found, and its rendering: for every workload instance whose effective
 * inbound mode is PERMISSIVE on some port, the callers its sidecar saw in the window (from the proxy
 * admin's `/inbound_connections`), and the verdict: the plaintext callers to a PERMISSIVE port are the
 * ones STRICT would refuse (with `--policy`, those the proposed PeerAuthentication would make STRICT). Pure: the same callers, instances and clock always give the same result.
 */

/** One caller as a sidecar aggregates it (`/inbound_connections` `callers`). */
export interface InboundCaller {
  address: string;
  port: number;
  mtls: boolean;
  peer?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface PlaintextCaller {
  address: string;
  port: number;
  count: number;
  lastSeen: string;
  /** The local mesh instance at `address`, or "outside the mesh". */
  caller: string;
}

export interface WorkloadReadiness {
  instance: string;
  namespace: string;
  /** The ports whose effective mode is PERMISSIVE (`*`: the workload-wide mode). */
  permissivePorts: string[];
  /** `name.namespace` of the PeerAuthentication that sets the workload-wide mode; absent: the default. */
  policy?: string;
  plaintext: PlaintextCaller[];
  /** The verified SPIFFE identities of the mutual TLS callers in the window. */
  mtls: string[];
  /** Why the callers are unknown (the sidecar's admin did not answer). */
  unavailable?: string;
}

export interface MtlsReadinessResult {
  /** The window's start (ISO 8601). */
  since: string;
  workloads: WorkloadReadiness[];
  /** Plaintext callers STRICT (or the proposed policy) would refuse, over every workload. */
  refusals: number;
  /** True when the refusals are those of a proposed policy (`--policy`) rather than of STRICT. */
  proposal: boolean;
}

export const OUTSIDE_THE_MESH = 'outside the mesh';

/**
 * One instance's readiness from its sidecar's callers: those seen since `since`, plaintext ones to a port
 * where `refuses` says plaintext would be refused, named after the instance at their address when there is one.
 */
export function workloadReadiness(
  workload: Omit<WorkloadReadiness, 'plaintext' | 'mtls' | 'unavailable'>,
  callers: readonly InboundCaller[],
  refuses: (port: number) => boolean,
  instanceAt: (address: string) => string | undefined,
  since: Date,
): WorkloadReadiness {
  const recent = callers.filter((c) => Date.parse(c.lastSeen) >= since.getTime());
  const plaintext = recent
    .filter((c) => !c.mtls && refuses(c.port))
    .map((c) => ({
      address: c.address,
      port: c.port,
      count: c.count,
      lastSeen: c.lastSeen,
      caller: instanceAt(c.address) ?? OUTSIDE_THE_MESH,
    }))
    .sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  const mtls = [...new Set(recent.filter((c) => c.mtls).map((c) => c.peer ?? 'unverified'))].sort();
  return { ...workload, plaintext, mtls };
}

export function mtlsReadinessResult(
  since: Date,
  workloads: WorkloadReadiness[],
  proposal = false,
): MtlsReadinessResult {
  return {
    since: since.toISOString(),
    workloads,
    refusals: workloads.reduce((n, w) => n + w.plaintext.length, 0),
    proposal,
  };
}

function verdict(workload: WorkloadReadiness, proposal: boolean): string {
  if (workload.unavailable) return `unknown: ${workload.unavailable}`;
  const n = workload.plaintext.length;
  if (proposal)
    return n === 0
      ? 'the proposed policy refuses no caller'
      : `the proposed policy would refuse ${n} caller(s)`;
  return n === 0 ? 'ready for STRICT' : `STRICT would refuse ${n} caller(s)`;
}

export function renderMtlsReadinessText(result: MtlsReadinessResult): string {
  if (result.workloads.length === 0) return 'No workload has a PERMISSIVE port: nothing to check.';
  const lines = [`Inbound connections since ${result.since}`];
  for (const w of result.workloads) {
    lines.push(
      '',
      `${w.instance}.${w.namespace}  PERMISSIVE on ${w.permissivePorts.join(',')} (${w.policy ?? 'default'}): ${verdict(w, result.proposal)}`,
    );
    if (w.plaintext.length > 0)
      lines.push(
        table(
          [
            result.proposal ? 'REFUSED PLAINTEXT FROM' : 'PLAINTEXT FROM',
            'PORT',
            'CONNECTIONS',
            'LAST SEEN',
            'CALLER',
          ],
          w.plaintext.map((c) => [c.address, String(c.port), String(c.count), c.lastSeen, c.caller]),
        ),
      );
    if (w.mtls.length > 0) lines.push(`mTLS from: ${w.mtls.join(', ')}`);
  }
  return lines.join('\n');
}

export function renderMtlsReadiness(result: MtlsReadinessResult, format: OutputFormat): string {
  return renderObject(result, format) ?? renderMtlsReadinessText(result);
}
