import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { ManagedProcess } from '@mesh/launcher';

import { startBenchIstiod } from '../common/bench-istiod.js';
import type { ProxyFleetCommand, ProxyFleetEvent } from './proxy-fleet.js';

/**
 * The two processes the istiod benchmark drives: the real istiod binary and the proxy fleet, both
 * started by the launcher (an exiting benchmark takes them with it).
 */

/** Linux accounts CPU in clock ticks of 1/100 s (USER_HZ) in /proc/<pid>/stat. */
const USER_HZ = 100;

export interface ProcessSample {
  rssBytes: number;
  cpuSeconds: number;
}

/** RSS (VmRSS) and user+system CPU time of a live process, from /proc. */
export function sampleProcess(pid: number): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: rssKiB * 1024, cpuSeconds: ticks / USER_HZ };
}

export interface IstiodProcess {
  pid: number;
  xdsPort: number;
  monitoringPort: number;
  /** A gauge or counter from istiod's /metrics (prom-client text format). */
  metric(name: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * Starts istiod on loopback with free ports and waits until it reports it serves. `nodeFlags` go to
 * its node (e.g. `--cpu-prof`).
 */
export async function startIstiod(
  configDir: string,
  stateDir: string,
  nodeFlags: string[],
  timeoutMs: number,
): Promise<IstiodProcess> {
  const { istiod, ports } = await startBenchIstiod(
    { configDir, stateDir, pushDebounceMs: 100 },
    { nodeFlags, readyTimeoutMs: timeoutMs },
  );
  return {
    pid: istiod.pid as number,
    xdsPort: ports.xdsPort,
    monitoringPort: ports.monitoringPort,
    metric: async (name) => {
      const text = await (await fetch(`http://127.0.0.1:${ports.monitoringPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
    // SIGTERM lets a --cpu-prof istiod write its profile.
    stop: async () => void (await istiod.stop({ graceMs: 10_000 })),
  };
}

type EventOf<K extends ProxyFleetEvent['kind']> = Extract<ProxyFleetEvent, { kind: K }>;

/** The parent's handle on the proxy-fleet child: typed commands, waiting for events, problems. */
export class ProxyFleet {
  readonly problems: string[] = [];
  progress = '';
  private readonly waiters = new Map<string, ((event: ProxyFleetEvent) => void)[]>();
  private exitError?: Error;
  private readonly exited: Promise<void>;

  private constructor(private readonly fleet: ManagedProcess) {
    fleet.child.on('message', (event: ProxyFleetEvent) => {
      if (event.kind === 'problem') this.problems.push(event.message);
      if (event.kind === 'progress') this.progress = `${event.matched}/${event.of} proxies`;
      this.waiters.get(event.kind)?.shift()?.(event);
    });
    this.exited = fleet.exited.then(({ code, signal }) => {
      this.exitError = new Error(`proxy fleet exited (code ${code}, signal ${signal})`);
    });
  }

  static async start(): Promise<ProxyFleet> {
    const main = fileURLToPath(new URL('./proxy-fleet.js', import.meta.url));
    const child = new ManagedProcess({ name: 'proxy fleet', argv: ['node', main], logs: { inherit: true } }, [
      'ipc',
    ]);
    const fleet = new ProxyFleet(child);
    await fleet.next('ready');
    return fleet;
  }

  /** The next event of this kind; rejects if the fleet exits first. */
  next<K extends ProxyFleetEvent['kind']>(kind: K): Promise<EventOf<K>> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise<EventOf<K>>((resolve, reject) => {
      const list = this.waiters.get(kind) ?? [];
      list.push((event) => resolve(event as EventOf<K>));
      this.waiters.set(kind, list);
      void this.exited.then(() => reject(this.exitError));
    });
  }

  send(command: ProxyFleetCommand): void {
    if (!this.exitError) this.fleet.child.send(command);
  }

  async stop(): Promise<void> {
    if (this.exitError) return;
    this.send({ kind: 'shutdown' });
    const timer = setTimeout(() => this.fleet.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
