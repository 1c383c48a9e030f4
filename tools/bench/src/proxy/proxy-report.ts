import { fmt, markdownTable, MiB, type Cell } from '../common/bench-report.js';
import type { CpuShares } from './resource-accounting.js';
import { percentile, type LatencyResult, type ThroughputResult } from './load-generator.js';
import { MODES, PROTOCOLS, type Mode, type Protocol } from './targets.js';

/**
 * The proxy benchmark's figures and how they are printed: per protocol and mode, latency at the
 * fixed rate, closed-loop throughput, CPU and RSS of each sidecar; then the goals for two proxies
 * with mTLS next to what was measured. With several runs every figure is the median over runs.
 */

export const SIDECARS = ['client', 'server'] as const;
export type SidecarRole = (typeof SIDECARS)[number];

export interface ModeRun {
  protocol: Protocol;
  mode: Mode;
  latency: LatencyResult;
  throughput: ThroughputResult;
  /** vCPU each sidecar used per 1,000 requests/s of fixed rate. */
  cpuPer1000Rps: Record<SidecarRole, number>;
  /** vCPUs each process (and everything else on the machine) used in the fixed-rate window. */
  fixedRateCpu: CpuShares;
  /** Peak RSS of each sidecar while this mode ran (fixed rate and closed loop). */
  rssUnderLoad: Record<SidecarRole, number>;
  /** vCPUs used during the closed loop. */
  throughputCpu: CpuShares;
}

type AllSidecars = SidecarRole | 'idle';

export interface MemoryFigures {
  /** RSS of each sidecar idle, after start-up, with the benchmark's 1-service config. */
  idle: Record<AllSidecars, number>;
  /** Once istiod pushed N services and the idle sidecar's /config_dump shows them. */
  withServices?: { services: number; outboundClusters: number; rss: Record<AllSidecars, number> };
}

export const GOALS = {
  addedP99Ms: 1,
  throughputRatio: 0.35,
  vcpuPer1000Rps: 0.35,
  idleRssBytes: 60e6,
};

const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** The figures of one protocol and mode, medians over runs. */
export interface ModeFigures {
  p: Record<'p50' | 'p90' | 'p99' | 'p999', number>;
  errors: number;
  achievedRps: number;
  sendLagP99Ms: number;
  maxRps: number;
  throughputErrors: number;
  cpu: Record<SidecarRole, number>;
  rss: Record<SidecarRole, number>;
  fixedRateCpu: CpuShares;
  throughputCpu: CpuShares;
}

export function figuresOf(runs: readonly ModeRun[]): ModeFigures {
  const m = (f: (r: ModeRun) => number) => median(runs.map(f));
  const pct = (q: number) => m((r) => percentile(r.latency.latenciesMs, q) ?? NaN);
  const bySidecar = (f: (r: ModeRun, s: SidecarRole) => number) =>
    Object.fromEntries(SIDECARS.map((s) => [s, m((r) => f(r, s))])) as Record<SidecarRole, number>;
  return {
    p: { p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9) },
    errors: runs.reduce((sum, r) => sum + r.latency.errors, 0),
    achievedRps: m((r) => r.latency.achievedRps),
    sendLagP99Ms: m((r) => r.latency.sendLagP99Ms),
    maxRps: m((r) => r.throughput.rps),
    throughputErrors: runs.reduce((sum, r) => sum + r.throughput.errors, 0),
    cpu: bySidecar((r, s) => r.cpuPer1000Rps[s]),
    rss: bySidecar((r, s) => r.rssUnderLoad[s]),
    fixedRateCpu: sharesOf(runs.map((r) => r.fixedRateCpu)),
    throughputCpu: sharesOf(runs.map((r) => r.throughputCpu)),
  };
}

function sharesOf(list: CpuShares[]): CpuShares {
  const names = Object.keys(list[0] ?? {}) as (keyof CpuShares)[];
  return Object.fromEntries(names.map((n) => [n, median(list.map((s) => s[n]))])) as unknown as CpuShares;
}

/** `generator / origin / client / server / istiod / others`, in vCPU. */
const shareCell = (c: CpuShares) =>
  [c.generator, c.origin, c.client, c.server, c.istiod, c.others].map((v) => fmt(v, 2)).join(' / ');
const SHARE_HEADER = 'vCPU: generator / origin / client sc / server sc / istiod / others';

export type Figures = Map<string, ModeFigures>;
export const key = (protocol: Protocol, mode: Mode): string => `${protocol} ${mode}`;

const mib = (bytes: number) => fmt(bytes / MiB, 1);
const ms = (value: number) => fmt(value, 3);
/** Only sidecars on the path have a meaningful per-request cost. */
const onPath = (mode: Mode, sidecar: SidecarRole) =>
  mode === 'two proxies' || (mode === 'one proxy' && sidecar === 'server');

/** One row per protocol and mode that was measured, with the direct figures to compare with. */
function rowsOf(figures: Figures, row: (f: ModeFigures, d: ModeFigures, mode: Mode) => Cell[]): Cell[][] {
  const rows: Cell[][] = [];
  for (const protocol of PROTOCOLS)
    for (const mode of MODES) {
      const f = figures.get(key(protocol, mode));
      const d = figures.get(key(protocol, 'direct'));
      if (f && d) rows.push([protocol, mode, ...row(f, d, mode)]);
    }
  return rows;
}

export function latencyTable(figures: Figures): string {
  const rows = rowsOf(figures, (f, d, mode) => {
    const added = (q: keyof ModeFigures['p']) => (mode === 'direct' ? '—' : `+${ms(f.p[q] - d.p[q])}`);
    return [
      ...[f.p.p50, f.p.p90, f.p.p99, f.p.p999].map(ms),
      ...(['p50', 'p90', 'p99'] as const).map(added),
      fmt(f.achievedRps),
      f.errors,
      ms(f.sendLagP99Ms),
      shareCell(f.fixedRateCpu),
    ];
  });
  const headers = ['protocol', 'mode', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'added p50', 'added p90'];
  headers.push('added p99', 'achieved rps', 'errors', 'generator lag p99 ms', SHARE_HEADER);
  return markdownTable(headers, rows);
}

export function throughputTable(figures: Figures): string {
  const rows = rowsOf(figures, (f, d) => [
    fmt(f.maxRps),
    `${fmt(f.maxRps / d.maxRps, 2)}×`,
    f.throughputErrors,
    shareCell(f.throughputCpu),
  ]);
  return markdownTable(['protocol', 'mode', 'max rps', 'vs direct', 'errors', SHARE_HEADER], rows);
}

export function sidecarCostTable(figures: Figures): string {
  const rows = rowsOf(figures, (f, _d, mode) => [
    ...SIDECARS.map((s) => (onPath(mode, s) ? fmt(f.cpu[s], 3) : '—')),
    `${mib(f.rss.client)} / ${mib(f.rss.server)}`,
  ]);
  const headers = ['protocol', 'mode', 'client sidecar vCPU per 1k rps', 'server sidecar vCPU per 1k rps'];
  return markdownTable([...headers, 'peak RSS client / server sidecar (MiB)'], rows);
}

export function memoryTable(memory: MemoryFigures, figures: Figures): string {
  const w = memory.withServices;
  const peak = (s: SidecarRole) => Math.max(...[...figures.values()].map((f) => f.rss[s]));
  const row = (s: AllSidecars, role: string): Cell[] => [
    `${s} (${role})`,
    mib(memory.idle[s]),
    s === 'idle' ? '—' : mib(peak(s)),
    w ? mib(w.rss[s]) : '—',
  ];
  return markdownTable(
    [
      'sidecar',
      'RSS idle after start, 1 service (MiB)',
      'peak RSS under load (MiB)',
      `RSS with ${w?.services ?? '?'} services, ${w?.outboundClusters ?? '?'} outbound clusters (MiB)`,
    ],
    [row('client', 'load phases'), row('server', 'load phases'), row('idle', 'never carried traffic')],
  );
}

export function goalsTable(figures: Figures, memory: MemoryFigures): string {
  const row = (
    goal: string,
    target: string,
    value: (p: Protocol) => number,
    unit: string,
    ok: (v: number) => boolean,
  ) => {
    const values = PROTOCOLS.map(value);
    const shown = values.map((v) =>
      Number.isNaN(v) ? '—' : `${unit === '×' ? fmt(v, 2) : fmt(v, 3)}${unit}`,
    );
    const met = values.every((v) => !Number.isNaN(v) && ok(v));
    return [goal, target, ...shown, met ? 'met' : 'NOT met'];
  };
  const two = (p: Protocol) => figures.get(key(p, 'two proxies'));
  const direct = (p: Protocol) => figures.get(key(p, 'direct'));
  const rss = memory.withServices?.rss.idle ?? NaN;
  return markdownTable(
    ['two proxies, mTLS', 'goal', ...PROTOCOLS, 'status'],
    [
      row(
        'added p99 at the fixed rate',
        `≤ ${GOALS.addedP99Ms} ms`,
        (p) => (two(p)?.p.p99 ?? NaN) - (direct(p)?.p.p99 ?? NaN),
        ' ms',
        (v) => v <= GOALS.addedP99Ms,
      ),
      row(
        'max throughput vs direct',
        `≥ ${GOALS.throughputRatio}×`,
        (p) => (two(p)?.maxRps ?? NaN) / (direct(p)?.maxRps ?? NaN),
        '×',
        (v) => v >= GOALS.throughputRatio,
      ),
      row(
        'vCPU per 1,000 rps, worst proxy',
        `≤ ${GOALS.vcpuPer1000Rps}`,
        (p) => Math.max(two(p)?.cpu.client ?? NaN, two(p)?.cpu.server ?? NaN),
        '',
        (v) => v <= GOALS.vcpuPer1000Rps,
      ),
      [
        `RSS of an idle proxy with ${memory.withServices?.services ?? '?'} services`,
        '≤ 60 MB (57.2 MiB)',
        `${mib(rss)} MiB`,
        '(same proxy)',
        rss <= GOALS.idleRssBytes ? 'met' : 'NOT met',
      ],
    ],
  );
}

/** Every table, with the headings BENCHMARKS.md uses. */
export function report(figures: Figures, memory: MemoryFigures, rate: number): string {
  return [
    `## Latency at ${rate} rps (open loop, from the scheduled time)\n`,
    latencyTable(figures),
    `\n## Max throughput (closed loop)\n`,
    throughputTable(figures),
    `\n## Sidecar CPU per 1,000 rps (fixed-rate window) and peak RSS\n`,
    sidecarCostTable(figures),
    `\n## Sidecar memory\n`,
    memoryTable(memory, figures),
    `\n## Goals\n`,
    goalsTable(figures, memory),
  ].join('\n');
}
