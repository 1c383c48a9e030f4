import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import {
  describeMachine,
  fmt,
  machineFacts,
  markdownTable,
  parseList,
  positiveInteger,
  type Cell,
} from '../common/bench-report.js';
import { formatShares } from '../common/cpu-profile.js';
import { toMiB, XdsBenchServer, type RunResult } from './bench-server.js';
import type { FleetClientKind, XdsProtocol } from './fleet-contract.js';

export const XDS_USAGE = `xds [--clients 100,1000] [--protocol delta,sotw] [--client ads,ack-only] [--clusters 1000]
      [--timeout 120] [--profile <dir>]
      ADS server with <clusters> EDS clusters + load assignments; client fleets in a child process.
      Measures initial connect, a full push and a single-cluster change, each until all clients ACK.
      --client: ads = our AdsClient (default); ack-only = ACK without decoding (server-bound).
      --timeout: seconds per scenario. --profile: CPU-profile each full push (server and clients).`;

const PROTOCOLS: readonly XdsProtocol[] = ['delta', 'sotw'];
const CLIENT_KINDS: readonly FleetClientKind[] = ['ads', 'ack-only'];

interface XdsBenchOptions {
  clients: number[];
  protocols: XdsProtocol[];
  clientKinds: FleetClientKind[];
  clusters: number;
  timeoutMs: number;
  profileDir?: string;
}

function parseOptions(args: string[]): XdsBenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      clients: { type: 'string' },
      protocol: { type: 'string' },
      client: { type: 'string' },
      clusters: { type: 'string', default: '1000' },
      timeout: { type: 'string', default: '120' },
      profile: { type: 'string' },
    },
    strict: true,
  });
  const clusters = positiveInteger(values.clusters);
  const timeout = positiveInteger(values.timeout);
  if (clusters === undefined)
    throw new Error(`--clusters: expected a positive integer, got "${values.clusters}"`);
  if (timeout === undefined) throw new Error(`--timeout: expected seconds, got "${values.timeout}"`);
  return {
    clients: parseList(values.clients, [100, 1000], positiveInteger, 'clients'),
    protocols: parseList(
      values.protocol,
      PROTOCOLS,
      (p) => PROTOCOLS.find((known) => known === p),
      'protocol',
    ),
    clientKinds: parseList(
      values.client,
      ['ads'],
      (k) => CLIENT_KINDS.find((known) => known === k),
      'client',
    ),
    clusters,
    timeoutMs: timeout * 1000,
    profileDir: values.profile,
  };
}

const HEADERS = [
  'protocol',
  'client',
  'clients',
  'connect (s)',
  'full push: sent (s)',
  'full push: all ACKed (s)',
  'full push CPU server / clients (s)',
  'single change: sent / all ACKed (ms)',
  'server RSS (MiB)',
  'clients RSS (MiB)',
];

function row(r: RunResult): Cell[] {
  return [
    r.protocol,
    r.clientKind === 'ads' ? 'AdsClient' : 'ack-only',
    r.clients,
    fmt(r.connectMs / 1000, 2),
    fmt(r.fullPush.sentMs / 1000, 2),
    fmt(r.fullPush.ackedMs / 1000, 2),
    `${fmt(r.fullPush.serverCpuMs / 1000, 2)} / ${fmt(r.fullPush.clientCpuMs / 1000, 2)}`,
    `${fmt(r.singleChange.sentMs, 0)} / ${fmt(r.singleChange.ackedMs, 0)}`,
    fmt(toMiB(r.serverRss), 0),
    fmt(toMiB(r.clientRss), 0),
  ];
}

const NOTES = `client: AdsClient decodes and validates every resource before ACKing; ack-only ACKs unread.
connect: from the fleet's connect command until every client holds all clusters and load assignments.
sent: until the server handed its last response of the push to gRPC (the onPush hook, after the write).
all ACKed: until the server received, from every client, the ACK of the response it last sent for every
pushed type (matched by nonce and version). CPU: user+system time of each process during the full push.
RSS: after the initial sync (server = this process, clients = the fleet child process); the server's
RSS is a high-water mark that includes what earlier runs in this process left behind.`;

function printReport(results: readonly RunResult[], clusters: number, loadAtStart: number): void {
  console.log(
    `\nxDS control plane: ${clusters} EDS clusters + ${clusters} load assignments (2 endpoints each)`,
  );
  console.log(`Machine: ${describeMachine(machineFacts())}`);
  // Other work on the machine steals cores from the two benchmark processes: make it visible.
  console.log(`Load average (1 min): ${fmt(loadAtStart, 2)} at start, ${fmt(loadavg()[0], 2)} at end\n`);
  console.log(markdownTable(HEADERS, results.map(row)));
  console.log(`\n${NOTES}`);
  for (const r of results) {
    if (!r.fullPushProfile) continue;
    const { server, clients } = r.fullPushProfile;
    console.log(
      `\nFull push, ${r.protocol} × ${r.clients} (${r.clientKind}): CPU profile self time (top entries)`,
    );
    console.log(`server process (${fmt(server.totalMs, 0)} ms profiled):\n${formatShares(server.shares)}`);
    console.log(`client fleet (${fmt(clients.totalMs, 0)} ms profiled):\n${formatShares(clients.shares)}`);
  }
}

/** `npm run bench -- xds ...`: returns the process exit code. */
export async function runXdsBench(args: string[]): Promise<number> {
  let options: XdsBenchOptions;
  try {
    options = parseOptions(args);
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: ${XDS_USAGE}`);
    return 2;
  }
  const bench = new XdsBenchServer({
    clusters: options.clusters,
    timeoutMs: options.timeoutMs,
    profileDir: options.profileDir,
  });
  const results: RunResult[] = [];
  const loadAtStart = loadavg()[0] as number;
  await bench.start();
  try {
    for (const clientKind of options.clientKinds) {
      // Smaller fleets first: RSS never shrinks, so a small run after a big one would show the big one's memory.
      for (const clients of options.clients) {
        for (const protocol of options.protocols) {
          const label = `${protocol}, ${clients} clients (${clientKind})`;
          const started = performance.now();
          console.log(`xds: ${label} …`);
          const r = await bench.run(protocol, clients, clientKind);
          results.push(r);
          console.log(
            `xds: ${label}: connect ${fmt(r.connectMs, 0)} ms, full push ACKed ${fmt(r.fullPush.ackedMs, 0)} ms, ` +
              `single change ACKed ${fmt(r.singleChange.ackedMs, 0)} ms (run took ${fmt((performance.now() - started) / 1000, 1)} s)`,
          );
        }
      }
    }
    printReport(results, options.clusters, loadAtStart);
    return 0;
  } catch (err) {
    console.error(`\nxds benchmark FAILED: ${(err as Error).message}`);
    if (results.length > 0) printReport(results, options.clusters, loadAtStart);
    return 1;
  } finally {
    await bench.close();
  }
}
