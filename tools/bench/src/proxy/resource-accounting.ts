import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Profiler } from 'node:inspector';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { formatShares, summarizeProfile } from '../common/cpu-profile.js';
import { sampleProcess } from '../istiod/processes.js';

/**
 * Where the two cores go during a phase: user+system CPU of each of the benchmark's processes (from
 * /proc/<pid>/stat, all threads) and of the whole machine (/proc/stat), so CPU used by anything else
 * running on the machine is visible next to the figures it disturbs; the sidecars' peak RSS; and
 * summaries of the sidecars' CPU profiles.
 */

export interface Processes {
  generator: number;
  origin: number;
  client: number;
  server: number;
  istiod: number;
}
export type ProcessName = keyof Processes;

/** vCPUs (cores' worth of CPU time per second) each process used, and what everything else used. */
export type CpuShares = Processes & { others: number };

interface Snapshot {
  at: number;
  processes: Processes;
  /** Busy and total jiffies of all CPUs together. */
  machineBusy: number;
  machineTotal: number;
}

function machine(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1);
  const values = fields.map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export class CpuAccounting {
  readonly #cores: number;

  constructor(private readonly pids: Omit<Processes, 'generator'>) {
    this.#cores = (readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm) ?? []).length || 1;
  }

  snapshot(): Snapshot {
    const usage = process.cpuUsage();
    const m = machine();
    return {
      at: performance.now(),
      processes: {
        generator: (usage.user + usage.system) / 1e6,
        origin: sampleProcess(this.pids.origin).cpuSeconds,
        client: sampleProcess(this.pids.client).cpuSeconds,
        server: sampleProcess(this.pids.server).cpuSeconds,
        istiod: sampleProcess(this.pids.istiod).cpuSeconds,
      },
      machineBusy: m.busy,
      machineTotal: m.total,
    };
  }

  /** vCPUs used between two snapshots; `others` is the machine's busy time not used by ours. */
  shares(from: Snapshot, to: Snapshot): CpuShares {
    const seconds = (to.at - from.at) / 1000;
    const per = (name: ProcessName) => (to.processes[name] - from.processes[name]) / seconds;
    const ours: Processes = {
      generator: per('generator'),
      origin: per('origin'),
      client: per('client'),
      server: per('server'),
      istiod: per('istiod'),
    };
    const machineVcpu =
      (this.#cores * (to.machineBusy - from.machineBusy)) / Math.max(1, to.machineTotal - from.machineTotal);
    const sum = Object.values(ours).reduce((a, b) => a + b, 0);
    return { ...ours, others: Math.max(0, machineVcpu - sum) };
  }
}

/** Peak RSS of some processes, sampled every 250 ms until `stop()`. */
export function rssPeaks<K extends string>(pids: Record<K, number>): { stop(): Record<K, number> } {
  const names = Object.keys(pids) as K[];
  const peaks = Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
  const sample = () => {
    for (const n of names) peaks[n] = Math.max(peaks[n], sampleProcess(pids[n]).rssBytes);
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/**
 * `--profile DIR`: the client and server sidecars run with `node --cpu-prof`, so each writes a
 * whole-run .cpuprofile into `DIR/<role>` when it stops. The load phases are nearly all of their busy
 * time, so the profile reads as the per-request cost. Summarized by file (the shared helper) and by
 * function, by self time.
 */

function topFunctions(profile: Profiler.Profile, top: number): string {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const dt = deltas[i] ?? 0;
    const file = frame.url.split('/').slice(-2).join('/');
    const label = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    totalUs += dt;
    selfUs.set(label, (selfUs.get(label) ?? 0) + dt);
  });
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, us]) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${label}`)
    .join('\n');
}

/**
 * Native functions (`writev`, `parse`) have no URL, which the shared summarizer takes for protobufjs's
 * generated codecs (named `Type$decode`); label them `node native` instead.
 */
function withNativeFrames(profile: Profiler.Profile): Profiler.Profile {
  const nodes = profile.nodes.map((n) =>
    n.callFrame.url === '' &&
    !n.callFrame.functionName.startsWith('(') &&
    !n.callFrame.functionName.includes('$')
      ? { ...n, callFrame: { ...n.callFrame, url: 'node:native' } }
      : n,
  );
  return { ...profile, nodes };
}

export async function summarizeSidecarProfiles(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const role of ['client', 'server']) {
    const roleDir = join(dir, role);
    const files = existsSync(roleDir) ? readdirSync(roleDir).filter((f) => f.endsWith('.cpuprofile')) : [];
    const newest = files.sort().at(-1);
    if (!newest) {
      parts.push(`${role} sidecar: no .cpuprofile in ${roleDir}`);
      continue;
    }
    const profile = JSON.parse(readFileSync(join(roleDir, newest), 'utf8')) as Profiler.Profile;
    // (idle) is time the sidecar waited for I/O; the shares below are of its busy time.
    const { totalMs, shares } = summarizeProfile(withNativeFrames(profile), 15);
    const idleMs = shares.find((s) => s.label === '(idle)')?.ms ?? 0;
    const busyMs = totalMs - idleMs;
    const busy = shares
      .filter((s) => s.label !== '(idle)')
      .map((s) => ({ ...s, percent: (100 * s.ms) / busyMs }));
    parts.push(
      `${role} sidecar profile (${join(roleDir, newest)}): ${(busyMs / 1000).toFixed(1)} s busy\n` +
        `by file (% of busy time):\n${formatShares(busy)}\n` +
        `by function (% of busy time):\n${topFunctions(profile, 20)}`,
    );
  }
  return parts.join('\n\n');
}
