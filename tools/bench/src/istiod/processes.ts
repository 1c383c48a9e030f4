import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { withTimeout } from '../common/bench-report.js';
import type { ProxyFleetCommand, ProxyFleetEvent } from './proxy-fleet.js';

/** The two processes the istiod benchmark drives: the real istiod binary and the proxy fleet. */

/** Everything started, so an exiting benchmark (error, timeout, Ctrl-C) kills what is still alive. */
const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  return child;
}

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

const require = createRequire(import.meta.url);

/**
 * Starts apps/istiod/dist/main.js on loopback with OS-chosen ports and waits for its `istiod is
 * serving` log line. `nodeFlags` go to its node (e.g. `--cpu-prof`); istiod's own logs go to stderr
 * at warn level so they do not interleave with the report.
 */
export async function startIstiod(
  configDir: string,
  stateDir: string,
  nodeFlags: string[],
  timeoutMs: number,
): Promise<IstiodProcess> {
  const main = join(dirname(require.resolve('@mesh/istiod/package.json')), 'dist', 'main.js');
  const args = [
    ...nodeFlags,
    main,
    ...['--config-dir', configDir, '--state-dir', stateDir, '--listen-address', '127.0.0.1'],
    ...['--xds-port', '0', '--secure-xds-port', '0', '--monitoring-port', '0'],
    ...['--push-debounce', '100ms', '--log-level', 'info'],
  ];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
  const ports = await withTimeout(
    new Promise<{ xdsPort: number; monitoringPort: number }>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`istiod exited with ${code}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        let entry: { msg?: string; level?: number; xdsPort?: number; monitoringPort?: number };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return void process.stderr.write(`istiod: ${line}\n`);
        }
        if (entry.msg === 'istiod is serving' && entry.xdsPort && entry.monitoringPort)
          resolve({ xdsPort: entry.xdsPort, monitoringPort: entry.monitoringPort });
        else if ((entry.level ?? 0) >= 40) process.stderr.write(`istiod: ${line}\n`);
      });
    }),
    timeoutMs,
    'istiod start',
  );
  return {
    pid: child.pid as number,
    ...ports,
    metric: async (name) => {
      const text = await (await fetch(`http://127.0.0.1:${ports.monitoringPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM'); // SIGTERM lets a --cpu-prof istiod write its profile
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
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

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (event: ProxyFleetEvent) => {
      if (event.kind === 'problem') this.problems.push(event.message);
      if (event.kind === 'progress') this.progress = `${event.matched}/${event.of} proxies`;
      this.waiters.get(event.kind)?.shift()?.(event);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitError = new Error(`proxy fleet exited (code ${code}, signal ${signal})`);
        resolve();
      }),
    );
  }

  static async start(): Promise<ProxyFleet> {
    const main = fileURLToPath(new URL('./proxy-fleet.js', import.meta.url));
    const fleet = new ProxyFleet(track(fork(main, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
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
    if (!this.exitError) this.child.send(command);
  }

  async stop(): Promise<void> {
    if (this.exitError) return;
    this.send({ kind: 'shutdown' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
