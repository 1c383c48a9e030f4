import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  formatFinding,
  formatStale,
  LAST_GOOD_FILE,
  mtlsModeForPort,
  parseLastGood,
  type Finding,
  type StaleConfig,
} from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { buildSidecarContext } from '@mesh/xds';

import { readConfigTree } from '../validate/read-config-files.js';
import type { InstanceState, RunState } from './run-state.js';

/**
 * What `meshctl local up` prints when ready and `meshctl local status` reports: every workload
 * instance with its identity, address, sidecar readiness, xDS sync state (asked of the sidecar's
 * admin `/control_plane`), the mTLS mode its sidecar enforces on each port and the expiry of the
 * workload certificate it serves with (its admin `/certs`, as Envoy's), then the config
 * istiod refused (its `/debug/configz`): invalid documents, and the resources whose last good version
 * istiod keeps in force because their new version is invalid.
 *
 * The mTLS modes are computed as istiod computes the sidecar's inbound chains, from the same config:
 * the config directory read by istiod's loader, starting from the last good versions istiod saved in
 * the state directory (so a policy whose file is broken counts at the version istiod keeps), turned
 * into a mesh snapshot and the sidecar context generation builds (PeerAuthentication evaluated by
 * @mesh/policy, port-level settings included). istiod's `/debug/configz` names the resources in force
 * but not their content, so it cannot give the modes.
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
  config?: { invalid: Finding[]; lastGoodKept: StaleConfig[] };
}

/** istiod's view of the config: asked of its `/debug/configz` (open to loopback callers). */
async function configStatus(monitoringPort: number): Promise<LocalStatus['config']> {
  const [answer] = await probe([`http://127.0.0.1:${monitoringPort}/debug/configz`]);
  if (answer?.status !== 200) return undefined;
  const body = JSON.parse(answer.body) as { invalid?: Finding[]; lastGoodKept?: StaleConfig[] };
  return {
    invalid: body.invalid ?? [],
    lastGoodKept: (body.lastGoodKept ?? []).map(({ kind, namespace, name, source, reason }) => ({
      kind,
      namespace,
      name,
      source,
      reason,
    })),
  };
}

/** The config istiod enforces from the local mesh's config directory (see the top of this file). */
async function enforcedConfig(state: RunState, stateDir: string): Promise<MeshSnapshot> {
  const copy = join(stateDir, LAST_GOOD_FILE);
  const saved = await readFile(copy, 'utf8').then(
    (text) => parseLastGood(text, copy, () => undefined),
    () => new Map(),
  );
  const tree = await readConfigTree(state.configDir, saved);
  return new MeshSnapshot([...tree.merge().configs.values()]);
}

/**
 * The mode the sidecar's inbound chains enforce on each port the instance serves: the port-level
 * mode on a port a service declares, the workload's mode on any other (its traffic takes the
 * passthrough chains). One mode when every port has it, else `<port>:<mode>` for each.
 */
function enforcedMtls(snapshot: MeshSnapshot, instance: InstanceState): string {
  const context = buildSidecarContext(snapshot, {
    id: instance.instance,
    namespace: instance.namespace,
    labels: instance.labels,
    ipAddresses: [instance.address],
    serviceAccount: instance.serviceAccount,
  });
  const { peerAuthentication } = context;
  const served = new Set(context.inboundPorts.map((inbound) => inbound.targetPort));
  const modes = instance.ports.map((port) =>
    served.has(port) ? mtlsModeForPort(peerAuthentication, port) : peerAuthentication.mode,
  );
  if (new Set(modes).size <= 1) return modes[0] ?? peerAuthentication.mode;
  return instance.ports.map((port, i) => `${port}:${modes[i]}`).join(' ');
}

type Answer = { status: number; body: string } | undefined;

const PROBE_MS = 4000;

/**
 * GETs every URL at once; undefined where nothing answered within `PROBE_MS`. In a pod's network
 * namespace one process asks them all (starting one per URL is what takes time), and exits once it has
 * printed the answers rather than when its keep-alive connections time out; it gets longer than the
 * requests, since starting Node on a busy machine can take seconds by itself.
 */
async function probe(urls: string[], netns?: string): Promise<Answer[]> {
  if (netns) {
    const script = `Promise.all(${JSON.stringify(urls)}.map((u) => fetch(u, { signal: AbortSignal.timeout(${PROBE_MS}) }).then(async (r) => ({ status: r.status, body: await r.text() }), () => null))).then((a) => process.stdout.write(JSON.stringify(a), () => process.exit(0)))`;
    return new Promise((resolve) =>
      execFile(
        'ip',
        ['netns', 'exec', netns, process.execPath, '-e', script],
        { timeout: 3 * PROBE_MS },
        (err, stdout) => {
          try {
            if (err) throw err;
            resolve((JSON.parse(stdout) as (Answer | null)[]).map((answer) => answer ?? undefined));
          } catch {
            resolve(urls.map(() => undefined));
          }
        },
      ),
    );
  }
  return Promise.all(
    urls.map(async (url) => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_MS) });
        return { status: response.status, body: await response.text() };
      } catch {
        return undefined;
      }
    }),
  );
}

async function instanceStatus(instance: InstanceState, snapshot: MeshSnapshot): Promise<InstanceStatus> {
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
  const [[ready], [plane, certs]] = await Promise.all([
    probe([`http://${instance.address}:15021/healthz/ready`]),
    probe([`${admin}/control_plane`, `${admin}/certs`], instance.netns),
  ]);
  const sync =
    plane?.status === 200 ? (JSON.parse(plane.body) as { connected: boolean; synced: boolean }) : undefined;
  const certificate = certs?.status === 200 ? servingCertificate(certs.body) : undefined;
  return {
    ...base,
    proxy: ready?.status === 200 ? 'ready' : 'not ready',
    xds: !sync ? '-' : !sync.connected ? 'disconnected' : sync.synced ? 'synced' : 'not synced',
    mtls: enforcedMtls(snapshot, instance),
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
export async function localStatus(state: RunState, stateDir: string): Promise<LocalStatus> {
  const snapshot = await enforcedConfig(state, stateDir);
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
    workloads: await Promise.all(state.instances.map((i) => instanceStatus(i, snapshot))),
    config: await configStatus(state.istiod.monitoringPort),
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

/** Nothing when every config document is valid; otherwise each refusal, and what stays in force. */
function renderConfigStatus(config: LocalStatus['config']): string[] {
  if (!config) return ['', 'CONFIG: istiod did not answer on its monitoring port'];
  if (config.invalid.length === 0 && config.lastGoodKept.length === 0) return [];
  return [
    '',
    `INVALID CONFIG (${config.invalid.length} finding(s); fix the files, istiod applies them when valid)`,
    ...config.invalid.map((f) => `  ${formatFinding(f)}`),
    ...config.lastGoodKept.map((s) => `  last good version kept in force: ${formatStale(s)}`),
  ];
}
