import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  effectivePeerAuthentication,
  formatFinding,
  formatStale,
  loadYaml,
  type Finding,
  type PeerAuthentication,
  type StaleConfig,
} from '@mesh/policy';

import type { InstanceState, RunState } from './run-state.js';

/**
 * What `meshctl local up` prints when ready and `meshctl local status` reports: every workload
 * instance with its identity, address, sidecar readiness, xDS sync state (asked of the sidecar's
 * admin `/control_plane`) and effective mTLS mode (PeerAuthentication from the config directory),
 * then the config istiod refused (its `/debug/configz`): invalid documents, and the resources whose
 * last good version istiod keeps in force because their new version is invalid.
 */

export interface InstanceStatus {
  instance: string;
  workload: string;
  namespace: string;
  identity: string;
  address: string;
  ports: number[];
  proxy: 'ready' | 'not ready' | 'none';
  xds: 'synced' | 'not synced' | 'disconnected' | '-';
  mtls: string;
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
  const answer = await probe(`http://127.0.0.1:${monitoringPort}/debug/configz`);
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

function peerAuthentications(configDir: string): PeerAuthentication[] {
  const policies: PeerAuthentication[] = [];
  for (const file of readdirSync(configDir)) {
    const { resources } = loadYaml(readFileSync(join(configDir, file), 'utf8'), file);
    for (const r of resources)
      if (r.kind === 'PeerAuthentication')
        policies.push({
          ...(r.object as unknown as PeerAuthentication),
          metadata: { ...(r.object['metadata'] as object), namespace: r.namespace || 'default' },
        } as PeerAuthentication);
  }
  return policies;
}

/** GETs a URL (from inside the pod's network namespace when there is one); undefined when unreachable. */
async function probe(url: string, netns?: string): Promise<{ status: number; body: string } | undefined> {
  if (netns) {
    const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(2000) }).then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())), () => process.exit(1))`;
    return new Promise((resolve) =>
      execFile(
        'ip',
        ['netns', 'exec', netns, process.execPath, '-e', script],
        { timeout: 5000 },
        (err, stdout) => {
          if (err) return resolve(undefined);
          const newline = stdout.indexOf('\n');
          resolve({ status: Number(stdout.slice(0, newline)), body: stdout.slice(newline + 1) });
        },
      ),
    );
  }
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

async function instanceStatus(
  instance: InstanceState,
  policies: readonly PeerAuthentication[],
): Promise<InstanceStatus> {
  const base = {
    instance: instance.instance,
    workload: instance.workload,
    namespace: instance.namespace,
    identity: instance.identity,
    address: instance.address,
    ports: instance.ports,
  };
  if (!instance.sidecar) return { ...base, proxy: 'none', xds: '-', mtls: 'none (no sidecar)' };
  const ready = await probe(`http://${instance.address}:15021/healthz/ready`);
  // The admin port listens on the pod's loopback only (Istio's 15000), so it is asked from inside.
  const admin = instance.netns ? '127.0.0.1' : instance.address;
  const plane = await probe(`http://${admin}:15000/control_plane`, instance.netns);
  const sync =
    plane?.status === 200 ? (JSON.parse(plane.body) as { connected: boolean; synced: boolean }) : undefined;
  const mode = effectivePeerAuthentication(policies, {
    namespace: instance.namespace,
    labels: instance.labels,
  }).mode;
  return {
    ...base,
    proxy: ready?.status === 200 ? 'ready' : 'not ready',
    xds: !sync ? '-' : !sync.connected ? 'disconnected' : sync.synced ? 'synced' : 'not synced',
    mtls: mode,
  };
}

export async function localStatus(state: RunState): Promise<LocalStatus> {
  const policies = peerAuthentications(state.configDir);
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
    workloads: await Promise.all(state.instances.map((i) => instanceStatus(i, policies))),
    config: await configStatus(state.istiod.monitoringPort),
  };
}

/** The human table: one row per workload instance, then any config istiod refused. */
export function renderStatusTable(status: LocalStatus): string {
  const header = ['WORKLOAD', 'NAMESPACE', 'IDENTITY', 'ADDRESS', 'PROXY', 'XDS', 'MTLS'];
  const rows = status.workloads.map((w) => [
    w.instance,
    w.namespace,
    w.identity,
    `${w.address}:${w.ports.join(',') || '-'}`,
    w.proxy,
    w.xds,
    w.mtls,
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
