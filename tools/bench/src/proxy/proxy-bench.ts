import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import {
  BenchTimeoutError,
  describeMachine,
  machineFacts,
  parseList,
  positiveInteger,
  withTimeout,
} from '../common/bench-report.js';
import { writeMesh } from '../istiod/mesh-config.js';
import { sampleProcess } from '../istiod/processes.js';
import { closedLoop, openLoop, percentile } from './load-generator.js';
import { startProxyMesh, type ProxyMesh, type Sidecar } from './proxy-mesh.js';
import { figuresOf, key, report, type Figures, type MemoryFigures, type ModeRun } from './proxy-report.js';
import { CpuAccounting, rssPeaks, summarizeSidecarProfiles } from './resource-accounting.js';
import { outboundClusters, requestsBySecurity } from './sidecar-stats.js';
import { createTarget, MODES, PAYLOAD_BYTES, type Mode, type Protocol } from './targets.js';

export const PROXY_USAGE =
  'proxy [--rate 1000] [--duration 10] [--warmup 2] [--connections 16] [--throughput-duration 5]\n' +
  '                                      [--protocols http,grpc] [--runs 1] [--services 1000] [--timeout 60]\n' +
  '                                      [--profile DIR] [--sidecar-flags="--max-semi-space-size=4"]\n' +
  '                                      data plane: direct vs one sidecar vs two sidecars with mTLS, HTTP/1.1 and gRPC';

interface Options {
  rate: number;
  durationMs: number;
  warmupMs: number;
  connections: number;
  throughputMs: number;
  protocols: Protocol[];
  runs: number;
  services: number;
  timeoutMs: number;
  profileDir?: string;
  /** Extra node flags for the client and server sidecars. */
  sidecarFlags: string[];
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      rate: { type: 'string', default: '1000' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '16' },
      'throughput-duration': { type: 'string', default: '5' },
      protocols: { type: 'string', default: 'http,grpc' },
      runs: { type: 'string', default: '1' },
      services: { type: 'string', default: '1000' },
      timeout: { type: 'string', default: '60' },
      profile: { type: 'string' },
      'sidecar-flags': { type: 'string', default: '' },
    },
  });
  const int = (flag: keyof typeof values) => {
    const n = positiveInteger(String(values[flag]));
    if (n === undefined) throw new Error(`--${flag}: a positive integer`);
    return n;
  };
  const names: Record<string, Protocol> = { http: 'HTTP/1.1', grpc: 'gRPC' };
  return {
    rate: int('rate'),
    durationMs: int('duration') * 1000,
    warmupMs: int('warmup') * 1000,
    connections: int('connections'),
    throughputMs: int('throughput-duration') * 1000,
    protocols: parseList(values.protocols, ['HTTP/1.1', 'gRPC'], (p) => names[p], 'protocols'),
    runs: int('runs'),
    services: int('services'),
    timeoutMs: int('timeout') * 1000,
    profileDir: values.profile,
    sidecarFlags: values['sidecar-flags'].split(' ').filter((f) => f !== ''),
  };
}

async function runMode(
  mesh: ProxyMesh,
  cpu: CpuAccounting,
  protocol: Protocol,
  mode: Mode,
  o: Options,
): Promise<ModeRun> {
  const target = createTarget(protocol, mode, mesh.topology, o.connections);
  const what = `${protocol} ${mode}`;
  const drainMs = o.timeoutMs;
  const measure = async (): Promise<ModeRun> => {
    const warm = await openLoop(target.send, { ...o, durationMs: o.warmupMs, drainMs });
    if (warm.errors > 0) throw new Error(`${what}: ${warm.errors} of the warm-up requests failed`);
    const peaks = rssPeaks({ client: mesh.sidecars.client.pid, server: mesh.sidecars.server.pid });
    try {
      const f0 = cpu.snapshot();
      const latency = await openLoop(target.send, { ...o, drainMs });
      const f1 = cpu.snapshot();
      const throughput = await closedLoop(target.send, o.connections, o.throughputMs, drainMs);
      const t1 = cpu.snapshot();
      const fixedRateCpu = cpu.shares(f0, f1);
      return {
        protocol,
        mode,
        latency,
        throughput,
        cpuPer1000Rps: {
          client: fixedRateCpu.client / (o.rate / 1000),
          server: fixedRateCpu.server / (o.rate / 1000),
        },
        fixedRateCpu,
        rssUnderLoad: peaks.stop(),
        throughputCpu: cpu.shares(f1, t1),
      };
    } finally {
      peaks.stop();
    }
  };
  try {
    // Each phase is bounded by its own drain time; this bounds the whole mode as well.
    const bound = o.warmupMs + o.durationMs + o.throughputMs + 3 * drainMs;
    return await withTimeout(measure(), bound, what);
  } finally {
    await target.close();
  }
}

/**
 * Writes the istiod benchmark's mesh of N services (with endpoints, DestinationRules and a
 * VirtualService) into the config directory, waits until the idle sidecar's /config_dump shows N
 * outbound clusters, lets the sidecars settle, and samples their RSS.
 */
async function withServices(mesh: ProxyMesh, o: Options): Promise<MemoryFigures['withServices']> {
  writeMesh(mesh.configDir, o.services);
  const deadline = Date.now() + o.timeoutMs;
  let clusters = 0;
  while ((clusters = await outboundClusters(mesh.sidecars.idle)) < o.services) {
    if (Date.now() > deadline)
      throw new BenchTimeoutError(
        `the idle sidecar shows ${clusters} outbound clusters ${o.timeoutMs / 1000} s after ${o.services} services were written`,
      );
    await sleep(1000);
  }
  await sleep(5000); // the other sidecars get the same push; let ACKs and the push's garbage settle
  const rss = (s: Sidecar) => sampleProcess(s.pid).rssBytes;
  const { client, server, idle } = mesh.sidecars;
  return {
    services: o.services,
    outboundClusters: clusters,
    rss: { client: rss(client), server: rss(server), idle: rss(idle) },
  };
}

export async function runProxyBench(args: string[]): Promise<number> {
  const o = parseOptions(args);
  const scratch = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`# data plane: direct vs one sidecar vs two sidecars (mTLS)\n`);
  console.log(`machine: ${describeMachine(machineFacts())}; load average at start ${load()}`);
  console.log(
    `${PAYLOAD_BYTES} B request and response bodies; fixed rate ${o.rate} rps over ${o.connections} connections ` +
      `for ${o.durationMs / 1000} s (open loop, after ${o.warmupMs / 1000} s warm-up); closed loop ${o.connections} ` +
      `connections for ${o.throughputMs / 1000} s; ${o.runs} run(s), medians\n`,
  );
  let mesh: ProxyMesh | undefined;
  const cleanUp = () => rmSync(scratch, { recursive: true, force: true });
  process.once('exit', cleanUp); // also after Ctrl-C, which exits without unwinding
  try {
    const { profileDir } = o;
    mesh = await startProxyMesh(scratch, o.timeoutMs, (role) =>
      role === 'idle'
        ? []
        : [
            ...o.sidecarFlags,
            ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, role)}`] : []),
          ],
    );
    await sleep(2000); // start-up garbage and the first xDS ACKs settle
    const memory: MemoryFigures = {
      idle: {
        client: sampleProcess(mesh.sidecars.client.pid).rssBytes,
        server: sampleProcess(mesh.sidecars.server.pid).rssBytes,
        idle: sampleProcess(mesh.sidecars.idle.pid).rssBytes,
      },
    };
    const cpu = new CpuAccounting({
      origin: mesh.origin.pid,
      client: mesh.sidecars.client.pid,
      server: mesh.sidecars.server.pid,
      istiod: mesh.istiod.pid,
    });
    const runs = new Map<string, ModeRun[]>();
    for (let run = 0; run < o.runs; run++)
      for (const protocol of o.protocols)
        for (const mode of MODES) {
          const result = await runMode(mesh, cpu, protocol, mode, o);
          runs.set(key(protocol, mode), [...(runs.get(key(protocol, mode)) ?? []), result]);
          const p99 = percentile(result.latency.latenciesMs, 99) ?? NaN;
          process.stderr.write(
            `  run ${run + 1} ${protocol} ${mode}: p99 ${p99.toFixed(3)} ms, max ${result.throughput.rps.toFixed(0)} rps\n`,
          );
        }
    // Two-proxy traffic must have reached the server sidecar over Istio mTLS, one-proxy in plaintext.
    const security = await requestsBySecurity(mesh.sidecars.server);
    if (!((security['destination/mutual_tls'] ?? 0) > 0))
      throw new Error(`no mTLS requests at the server sidecar: ${JSON.stringify(security)}`);
    memory.withServices = await withServices(mesh, o);
    const figures: Figures = new Map([...runs].map(([k, r]) => [k, figuresOf(r)]));
    console.log(report(figures, memory, o.rate));
    console.log(
      `\nserver sidecar requests by reporter/connection_security_policy: ${JSON.stringify(security)}`,
    );
    console.log(`load average at end ${load()}`);
    await mesh.stop();
    if (o.profileDir) console.log(`\n${await summarizeSidecarProfiles(o.profileDir)}`);
    return 0;
  } finally {
    await mesh?.stop();
    cleanUp();
  }
}
