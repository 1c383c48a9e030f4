import { formatFinding, formatStale, type Finding, type StaleConfig } from '@mesh/policy/formatting';

import { probe } from './admin-probe.js';
import {
  appliedOverrides,
  formatOverride,
  type AppliedOverride,
  type ResourceInForce,
} from './applied-overrides.js';
import type { InstanceState, RunState } from './run-state.js';
import { enforcedMtls, inboundChains } from './sidecar-mtls.js';

/**
 * What `meshctl local up` prints when ready and `meshctl local status` reports: every workload
 * instance with its identity, address, sidecar readiness, xDS sync state (asked of the sidecar's
 * admin `/control_plane`), the mTLS mode its sidecar enforces on each port and the expiry of the
 * workload certificate it serves with (its admin `/certs`, as Envoy's), then the config
 * istiod refused (its `/debug/configz`): invalid documents, and the resources whose last good version
 * istiod keeps in force because their new version is invalid; apart from them, the mesh file's
 * definitions that `local apply` overrides (intended, though istiod reports them as duplicates).
 *
 * The mTLS modes are read from the inbound listener each sidecar holds (its admin `/config_dump`,
 * see sidecar-mtls.ts): what is in force there, told without loading the Istio schemas and the Envoy
 * protos (`local status` is meant to answer at once; recomputing the modes from istiod's config cost
 * ~1 s of CPU). A sidecar that does not answer shows `-`.
 */

export interface InstanceStatus {
  instance: string;
  workload: string;
  namespace: string;
  identity: string;
  address: string;
  ports: number[];
  proxy: 'ready' | 'not ready' | 'none';
  /** How many times the supervisor restarted the sidecar (always set by `localStatus`). */
  restarts?: number;
  xds: 'synced' | 'not synced' | 'disconnected' | '-';
  mtls: string;
  /** The workload certificate the sidecar serves with; undefined without a sidecar or an answer. */
  certificate?: { serialNumber: string; expires: string };
}

export interface LocalStatus {
  mesh: string;
  mode: RunState['mode'];
  meshFile: string;
  startedAt: string;
  istiod: { xdsPort: number; monitoringPort: number; metrics: string };
  workloads: InstanceStatus[];
  /** What istiod reports of the config directory; undefined when istiod did not answer. */
  config?: { invalid: Finding[]; lastGoodKept: StaleConfig[]; overrides: AppliedOverride[] };
}

/** istiod's view of the config: asked of its `/debug/configz` (open to loopback callers). */
async function configStatus(monitoringPort: number): Promise<LocalStatus['config']> {
  const [answer] = await probe([`http://127.0.0.1:${monitoringPort}/debug/configz`]);
  if (answer?.status !== 200) return undefined;
  const body = JSON.parse(answer.body) as {
    resources?: ResourceInForce[];
    invalid?: Finding[];
    lastGoodKept?: StaleConfig[];
  };
  const { invalid, overrides } = appliedOverrides(body.invalid ?? [], body.resources ?? []);
  return {
    invalid,
    overrides,
    lastGoodKept: (body.lastGoodKept ?? []).map(({ kind, namespace, name, source, reason }) => ({
      kind,
      namespace,
      name,
      source,
      reason,
    })),
  };
}

async function instanceStatus(instance: InstanceState): Promise<InstanceStatus> {
  const base = {
    instance: instance.instance,
    workload: instance.workload,
    namespace: instance.namespace,
    identity: instance.identity,
    address: instance.address,
    ports: instance.ports,
    restarts: instance.restarts ?? 0,
  };
  if (!instance.sidecar) return { ...base, proxy: 'none', xds: '-', mtls: 'none (no sidecar)' };
  // The admin port listens on loopback only (in the pod's own, in transparent mode).
  const admin = `http://127.0.0.1:${instance.adminPort ?? 15000}`;
  const [[ready], [plane, certs, dump]] = await Promise.all([
    probe([`http://${instance.address}:15021/healthz/ready`]),
    probe([`${admin}/control_plane`, `${admin}/certs`, `${admin}/config_dump`], instance.netns),
  ]);
  const sync =
    plane?.status === 200 ? (JSON.parse(plane.body) as { connected: boolean; synced: boolean }) : undefined;
  const certificate = certs?.status === 200 ? servingCertificate(certs.body) : undefined;
  const chains = dump?.status === 200 ? inboundChains(JSON.parse(dump.body)) : undefined;
  return {
    ...base,
    proxy: ready?.status === 200 ? 'ready' : 'not ready',
    xds: !sync ? '-' : !sync.connected ? 'disconnected' : sync.synced ? 'synced' : 'not synced',
    mtls: chains ? enforcedMtls(chains, instance.ports) : '-',
    ...(certificate ? { certificate } : {}),
  };
}

/** The workload certificate in Envoy's `/certs` answer: the first context's `cert_chain`. */
function servingCertificate(body: string): InstanceStatus['certificate'] {
  const { certificates } = JSON.parse(body) as {
    certificates?: { cert_chain?: { serial_number?: string; expiration_time?: string }[] }[];
  };
  const leaf = certificates?.[0]?.cert_chain?.[0];
  if (!leaf?.expiration_time) return undefined;
  return { serialNumber: leaf.serial_number ?? '', expires: leaf.expiration_time };
}

/** When a certificate expires, as the table says it: how long from `now` (`23h59m`, `6d4h`), or expired. */
export function formatExpiry(expires: string, now: Date): string {
  const seconds = Math.floor((Date.parse(expires) - now.getTime()) / 1000);
  if (seconds <= 0) return `EXPIRED ${expires}`;
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `in ${days}d${hours}h`;
  if (hours > 0) return `in ${hours}h${minutes}m`;
  return `in ${minutes}m${seconds % 60}s`;
}

/** The status of the mesh running on `stateDir` (istiod's state directory too) as `state` describes it. */
export async function localStatus(state: RunState): Promise<LocalStatus> {
  // istiod is asked while the sidecars are: status waits for the slowest answer, not for their sum.
  const [workloads, config] = await Promise.all([
    Promise.all(state.instances.map(instanceStatus)),
    configStatus(state.istiod.monitoringPort),
  ]);
  return {
    mesh: state.mesh,
    mode: state.mode,
    meshFile: state.meshFile,
    startedAt: state.startedAt,
    istiod: {
      xdsPort: state.istiod.xdsPort,
      monitoringPort: state.istiod.monitoringPort,
      metrics: `http://127.0.0.1:${state.istiod.monitoringPort}/metrics`,
    },
    workloads,
    config,
  };
}

/** The workload instances whose sidecar is not ready: `local status` then exits non-zero. */
export function notReady(status: LocalStatus): string[] {
  return status.workloads.filter((w) => w.proxy === 'not ready').map((w) => w.instance);
}

/** The human table: one row per workload instance, then any config istiod refused. */
export function renderStatusTable(status: LocalStatus, now = new Date()): string {
  const header = [
    ...['WORKLOAD', 'NAMESPACE', 'IDENTITY', 'ADDRESS', 'PROXY', 'RESTARTS'],
    ...['XDS', 'MTLS', 'CERT EXPIRES'],
  ];
  const rows = status.workloads.map((w) => [
    w.instance,
    w.namespace,
    w.identity,
    `${w.address}:${w.ports.join(',') || '-'}`,
    w.proxy,
    String(w.restarts ?? 0),
    w.xds,
    w.mtls,
    w.certificate ? formatExpiry(w.certificate.expires, now) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line), ...renderConfigStatus(status.config)].join('\n');
}

/**
 * Nothing when every config document is valid and nothing is overridden; otherwise what `local apply`
 * overrides (a note: intended), then each refusal and what stays in force.
 */
function renderConfigStatus(config: LocalStatus['config']): string[] {
  if (!config) return ['', 'CONFIG: istiod did not answer on its monitoring port'];
  const overrides =
    config.overrides.length === 0
      ? []
      : [
          '',
          `OVERRIDDEN BY "local apply" (${config.overrides.length}; in the config directory, "local delete -f" restores the mesh file's)`,
          ...config.overrides.map((o) => `  ${formatOverride(o)}`),
        ];
  if (config.invalid.length === 0 && config.lastGoodKept.length === 0) return overrides;
  return [
    ...overrides,
    '',
    `INVALID CONFIG (${config.invalid.length} finding(s); fix the files, istiod applies them when valid)`,
    ...config.invalid.map((f) => `  ${formatFinding(f)}`),
    ...config.lastGoodKept.map((s) => `  last good version kept in force: ${formatStale(s)}`),
  ];
}
