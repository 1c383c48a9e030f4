import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { TypeUrl } from '@mesh/xds';

import {
  describeMachine,
  fmt,
  machineFacts,
  markdownTable,
  MiB,
  parseList,
  positiveInteger,
  withTimeout,
  type Cell,
} from '../common/bench-report.js';
import type { XdsProtocol } from '../xds/fleet-contract.js';
import {
  clusterName,
  MOVED_ADDRESS,
  moveEndpoint,
  ROUTED_SERVICE,
  SERVICES_PER_PROXY,
  writeMesh,
  writeVirtualService,
} from './mesh-config.js';
import { ProxyFleet, sampleProcess, startIstiod, type IstiodProcess } from './processes.js';
import type { Watch } from './proxyless-client.js';

export const ISTIOD_USAGE =
  'istiod [--proxies 100,1000] [--services 1000] [--protocol sotw|delta] [--timeout 120] [--istiod-flags=--cpu-prof]\n' +
  '                                      config change → all proxyless proxies ACKed, against the real istiod';

interface Options {
  services: number;
  protocol: XdsProtocol;
  timeoutMs: number;
  istiodFlags: string[];
}

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface ChangeResult {
  p50?: number;
  p99?: number;
  max?: number;
  cpuSeconds: number;
  /** Proxies istiod's /debug/syncz shows SYNCED for the changed type, after convergence. */
  synced: string;
}

/**
 * Arms a watch in every proxy, makes the change, and waits until every proxy has ACKed a response
 * that shows it. Latency per proxy: change written to disk → that proxy's ACK written.
 */
async function measureChange(
  istiod: IstiodProcess,
  fleet: ProxyFleet,
  watch: Watch,
  change: () => void,
  timeoutMs: number,
): Promise<ChangeResult> {
  const armed = fleet.next('watching');
  fleet.send({ kind: 'watch', watch });
  await armed;
  const matched = fleet.next('matched');
  fleet.progress = '0 proxies';
  const cpuBefore = sampleProcess(istiod.pid).cpuSeconds;
  const changedAt = process.hrtime.bigint();
  change();
  const event = await withTimeout(matched, timeoutMs, `change #${watch.id}`, () => fleet.progress);
  const cpuSeconds = sampleProcess(istiod.pid).cpuSeconds - cpuBefore;
  const latencies = event.ackNs.map((ns) => Number(BigInt(ns) - changedAt) / 1e6).sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
    cpuSeconds,
    synced: await syncedCount(istiod, watch.typeUrl === TypeUrl.RouteConfiguration ? 'RDS' : 'EDS'),
  };
}

async function syncedCount(istiod: IstiodProcess, type: string): Promise<string> {
  await sleep(500); // the last ACKs are still in flight when the last proxy reports
  const url = `http://127.0.0.1:${istiod.monitoringPort}/debug/syncz`;
  const proxies = (await (await fetch(url)).json()) as { types: Record<string, { status: string }> }[];
  return `${proxies.filter((p) => p.types[type]?.status === 'SYNCED').length}/${proxies.length}`;
}

async function runScenario(proxies: number, o: Options): Promise<Cell[]> {
  const configDir = mkdtempSync(join(tmpdir(), 'bench-istiod-config-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-istiod-state-'));
  let istiod: IstiodProcess | undefined;
  let fleet: ProxyFleet | undefined;
  try {
    writeMesh(configDir, o.services);
    istiod = await startIstiod(configDir, stateDir, o.istiodFlags, o.timeoutMs);
    const idle = sampleProcess(istiod.pid);
    fleet = await ProxyFleet.start();
    const target = `127.0.0.1:${istiod.xdsPort}`;
    const synced = fleet.next('synced');
    const connectedAt = process.hrtime.bigint();
    fleet.send({ kind: 'connect', target, proxies, services: o.services, protocol: o.protocol });
    const syncedAt = BigInt((await withTimeout(synced, o.timeoutMs, 'initial sync')).atNs);
    const initialSyncS = Number(syncedAt - connectedAt) / 1e9;
    const syncCpu = sampleProcess(istiod.pid).cpuSeconds - idle.cpuSeconds;
    await sleep(1000);
    const afterSync = sampleProcess(istiod.pid);
    const heapBytes = await istiod.metric('nodejs_heap_size_used_bytes');

    const routed = clusterName(ROUTED_SERVICE, 'v1');
    const route = await measureChange(
      istiod,
      fleet,
      {
        id: 1,
        typeUrl: TypeUrl.RouteConfiguration,
        present: [clusterName(ROUTED_SERVICE, 'v2')],
        absent: [routed],
      },
      () => writeVirtualService(configDir, 0),
      o.timeoutMs,
    );
    const endpoint = await measureChange(
      istiod,
      fleet,
      { id: 2, typeUrl: TypeUrl.ClusterLoadAssignment, present: [MOVED_ADDRESS], absent: [] },
      () => moveEndpoint(configDir, o.services),
      o.timeoutMs,
    );
    const rssAfter = sampleProcess(istiod.pid).rssBytes;
    if (fleet.problems.length > 0) throw new Error(`proxy fleet problems: ${fleet.problems.join('; ')}`);
    return [
      proxies,
      o.services,
      fmt(initialSyncS, 2),
      fmt(syncCpu, 1),
      fmt(afterSync.rssBytes / MiB),
      fmt((heapBytes ?? NaN) / MiB),
      `${fmt(route.p50)} / ${fmt(route.p99)} / ${fmt(route.max)}`,
      fmt(route.cpuSeconds, 2),
      `${fmt(endpoint.p50)} / ${fmt(endpoint.p99)} / ${fmt(endpoint.max)}`,
      fmt(endpoint.cpuSeconds, 2),
      fmt(rssAfter / MiB),
      `${route.synced}, ${endpoint.synced}`,
    ];
  } finally {
    await fleet?.stop();
    await istiod?.stop();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function runIstiodBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      proxies: { type: 'string', default: '100,1000' },
      services: { type: 'string', default: '1000' },
      protocol: { type: 'string', default: 'sotw' },
      timeout: { type: 'string', default: '120' },
      'istiod-flags': { type: 'string', default: '' },
    },
  });
  const proxyCounts = parseList(values.proxies, [100, 1000], positiveInteger, 'proxies');
  const services = positiveInteger(values.services) ?? NaN;
  if (!(services >= SERVICES_PER_PROXY)) throw new Error(`--services: at least ${SERVICES_PER_PROXY}`);
  if (values.protocol !== 'sotw' && values.protocol !== 'delta') throw new Error('--protocol: sotw or delta');
  const options: Options = {
    services,
    protocol: values.protocol,
    timeoutMs: (positiveInteger(values.timeout) ?? 120) * 1000,
    istiodFlags: values['istiod-flags'].split(' ').filter((f) => f !== ''),
  };
  console.log(`istiod benchmark on ${describeMachine(machineFacts())}`);
  console.log(
    `${options.protocol} ADS, proxyless (GENERATOR=grpc) ack-only proxies, each subscribed by name to ` +
      `LDS+RDS of ${SERVICES_PER_PROXY} services and CDS+EDS of their clusters (incl. v1/v2 subsets); push debounce 100 ms`,
  );
  const rows: Cell[][] = [];
  for (const proxies of proxyCounts) rows.push(await runScenario(proxies, options));
  console.log(
    markdownTable(
      [
        'proxies',
        'services',
        'initial sync (s)',
        'istiod CPU in sync (s)',
        'istiod RSS after sync (MiB)',
        'heap used (MiB)',
        'VS 90/10→0/100: p50 / p99 / max (ms)',
        'istiod CPU (s)',
        'endpoint move: p50 / p99 / max (ms)',
        'istiod CPU (s)',
        'istiod RSS at end (MiB)',
        'syncz SYNCED (RDS, EDS)',
      ],
      rows,
    ),
  );
  return 0;
}
