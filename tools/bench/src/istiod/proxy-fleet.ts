/**
 * The simulated proxies of the istiod benchmark, in a child process (forked by fleet-handle.ts) so
 * that their work does not share an event loop, or CPU accounting, with istiod or the parent. Each
 * proxy has its own HTTP/2 connection, as N separate gRPC processes would.
 */
import type { XdsProtocol } from '../xds/fleet-contract.js';
import { subscriptionOf } from './mesh-config.js';
import { ProxylessClient, type Watch } from './proxyless-client.js';

/** Parent → fleet. */
export type ProxyFleetCommand =
  | { kind: 'connect'; target: string; proxies: number; services: number; protocol: XdsProtocol }
  /** Report when every proxy has received a response matching the watch. */
  | { kind: 'watch'; watch: Watch }
  | { kind: 'shutdown' };

/** Fleet → parent. Times are process.hrtime.bigint() nanoseconds as strings (one clock machine-wide). */
export type ProxyFleetEvent =
  | { kind: 'ready' }
  | { kind: 'synced'; atNs: string }
  /** The watch is armed: the parent may now make the change. */
  | { kind: 'watching'; id: number }
  | { kind: 'matched'; id: number; ackNs: string[] }
  | { kind: 'progress'; id: number; matched: number; of: number }
  | { kind: 'problem'; message: string };

function send(event: ProxyFleetEvent): void {
  process.send?.(event);
}

/** Problems are reported once per kind, so a mass failure does not flood IPC. */
const reported = new Set<string>();
function report(kind: string, message: string): void {
  if (reported.has(kind)) return;
  reported.add(kind);
  send({ kind: 'problem', message });
}

let clients: ProxylessClient[] = [];

function nodeId(p: number): string {
  return `sidecar~10.100.${(p >> 8) & 255}.${p & 255}~proxy-${p}.default~default.svc.cluster.local`;
}

function connectFleet(command: Extract<ProxyFleetCommand, { kind: 'connect' }>): void {
  let synced = 0;
  clients = Array.from({ length: command.proxies }, (_, p) => {
    const client = new ProxylessClient(
      command.target,
      nodeId(p),
      command.protocol,
      subscriptionOf(p, command.services),
    );
    client.once('synced', () => {
      if (++synced === command.proxies) send({ kind: 'synced', atNs: String(process.hrtime.bigint()) });
    });
    client.on('problem', (message) => report(message.split(':')[0] ?? message, `proxy ${p}: ${message}`));
    client.on('matched', (watch, ackNs) => onMatched(watch.id, ackNs));
    client.start();
    return client;
  });
}

/** Per watch id: ACK times so far. Every proxy subscribes to both changed services (mesh-config.ts). */
const matches = new Map<number, bigint[]>();

function onMatched(id: number, ackNs: bigint): void {
  const list = matches.get(id);
  if (!list) return;
  list.push(ackNs);
  if (list.length === clients.length) {
    matches.delete(id);
    send({ kind: 'matched', id, ackNs: list.map(String) });
  }
}

function watch(w: Watch): void {
  matches.set(w.id, []);
  for (const client of clients) client.expect(w);
  send({ kind: 'watching', id: w.id });
  // Progress every second, so a timeout can say how far convergence got.
  const timer = setInterval(() => {
    const list = matches.get(w.id);
    if (!list) return clearInterval(timer);
    send({ kind: 'progress', id: w.id, matched: list.length, of: clients.length });
  }, 1000);
}

if (process.send) {
  process.on('message', (command: ProxyFleetCommand) => {
    try {
      if (command.kind === 'connect') connectFleet(command);
      else if (command.kind === 'watch') watch(command.watch);
      else if (command.kind === 'shutdown') {
        for (const client of clients) client.close();
        process.exit(0);
      }
    } catch (err) {
      report('exception', `fleet: ${(err as Error).stack ?? String(err)}`);
    }
  });
  // The parent dying must not leave the proxies connected.
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready' });
}
