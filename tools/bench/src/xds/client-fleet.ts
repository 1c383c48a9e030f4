/**
 * The client side of the xDS benchmark: a child process (forked through fleet-process.ts) so that
 * client work does not share an event loop with the server being measured. It opens N clients, each
 * on its own HTTP/2 connection as N separate proxies would have, subscribes each to CDS (wildcard)
 * and EDS (every cluster), and answers the parent's commands over IPC.
 */
import { AdsClient, TypeUrl } from '@mesh/xds';

import { summarizeProfile, WindowProfiler } from '../common/cpu-profile.js';
import { AckOnlyClient } from './ack-only-client.js';
import {
  clusterGeneration,
  loadAssignmentGeneration,
  type FleetClientKind,
  type FleetCommand,
  type FleetEvent,
  type XdsProtocol,
} from './fleet-contract.js';

if (!process.send) {
  console.error('client-fleet.js is started by the xds benchmark (npm run bench -- xds), not directly');
  process.exit(2);
}

function send(event: FleetEvent): void {
  process.send?.(event);
}

/** Problems are reported once per kind, not once per client, so a mass failure does not flood IPC. */
const reported = new Set<string>();

function report(kind: string, message: string): void {
  if (reported.has(kind)) return;
  reported.add(kind);
  send({ kind: 'problem', message });
}

interface FleetClient {
  close(): void;
}

let clients: FleetClient[] = [];
let adsClients: AdsClient[] = [];
let names: string[] = [];

function nodeId(i: number): string {
  return `sidecar~10.1.${i >> 8}.${i & 255}~bench-${i}.bench~bench.svc.cluster.local`;
}

/** Our full client: decodes and validates every resource before ACKing, and keeps what it accepted. */
function startAdsClient(i: number, target: string, protocol: XdsProtocol, onSynced: () => void): AdsClient {
  const client = new AdsClient({
    target,
    node: { id: nodeId(i) },
    protocol,
    // Without a local pool grpc-js would multiplex every client over one shared connection.
    channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
  });
  let done = false;
  client.on('update', () => {
    if (done) return;
    const wanted = names.length;
    if (
      client.resources(TypeUrl.Cluster).size >= wanted &&
      client.resources(TypeUrl.ClusterLoadAssignment).size >= wanted
    ) {
      done = true;
      onSynced();
    }
  });
  client.on('nack', (nack) =>
    report(`nack ${nack.typeUrl}`, `client ${i} NACKed ${nack.typeUrl}: ${nack.message}`),
  );
  client.on('disconnected', ({ reason }) => report('disconnected', `client ${i} lost its stream: ${reason}`));
  client.subscribe(TypeUrl.Cluster, '*');
  client.subscribe(TypeUrl.ClusterLoadAssignment, names);
  client.start();
  return client;
}

function connect(target: string, count: number, protocol: XdsProtocol, kind: FleetClientKind): void {
  const started = performance.now();
  let synced = 0;
  const onSynced = () => {
    if (++synced === count) send({ kind: 'synced', elapsedMs: performance.now() - started });
  };
  clients = Array.from({ length: count }, (_, i) => {
    if (kind === 'ads') return startAdsClient(i, target, protocol, onSynced);
    const client = new AckOnlyClient(target, nodeId(i), protocol, names);
    client.on('synced', onSynced);
    client.on('problem', (message) => report('ack-only', `client ${i}: ${message}`));
    client.start();
    return client;
  });
  adsClients = kind === 'ads' ? (clients as AdsClient[]) : [];
}

/**
 * Counts (client, resource) pairs whose generation differs from what the parent last pushed. Only
 * AdsClients keep resources; ack-only clients were checked by the server's nonce and version match.
 */
function verify(clusterGens: number[], claGens: number[]): FleetEvent {
  let mismatches = 0;
  let example: string | undefined;
  adsClients.forEach((client, c) => {
    const clusters = client.resources(TypeUrl.Cluster);
    const assignments = client.resources(TypeUrl.ClusterLoadAssignment);
    names.forEach((name, i) => {
      const cg = clusterGeneration(clusters.get(name)?.resource);
      const eg = loadAssignmentGeneration(assignments.get(name)?.resource);
      if (cg === clusterGens[i] && eg === claGens[i]) return;
      mismatches++;
      example ??= `client ${c} ${name}: cluster gen ${cg} (want ${clusterGens[i]}), endpoints gen ${eg} (want ${claGens[i]})`;
    });
  });
  return { kind: 'verified', checked: adsClients.length > 0, mismatches, example };
}

const profiler = new WindowProfiler();

process.on('message', (command: FleetCommand) => {
  switch (command.kind) {
    case 'connect':
      names = command.clusterNames;
      connect(command.target, command.clients, command.protocol, command.client);
      break;
    case 'verify':
      send(verify(command.clusterGenerations, command.loadAssignmentGenerations));
      break;
    case 'stats': {
      const cpu = process.cpuUsage();
      const rssBytes = process.memoryUsage().rss;
      send({ kind: 'stats', rssBytes, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 });
      break;
    }
    case 'profile-start':
      void profiler.start().then(() => send({ kind: 'profile-started' }));
      break;
    case 'profile-stop':
      void profiler
        .stop(command.path)
        .then((profile) => send({ kind: 'profile-stopped', ...summarizeProfile(profile) }));
      break;
    case 'shutdown':
      for (const client of clients) client.close();
      // A normal exit (not a kill) so that `node --cpu-prof` can write the fleet's profile.
      process.exit(0);
  }
});

// The parent is gone (crashed or killed): nothing left to measure.
process.on('disconnect', () => process.exit(0));

send({ kind: 'ready' });
