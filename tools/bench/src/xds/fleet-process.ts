import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { FleetCommand, FleetEvent } from './fleet-contract.js';

type EventOf<K extends FleetEvent['kind']> = Extract<FleetEvent, { kind: K }>;

interface Waiter {
  resolve(event: FleetEvent): void;
  reject(error: Error): void;
}

const FLEET_HEAP_MiB = 16_384;

/** Every fleet ever started, so an exiting benchmark can kill whatever is still alive. */
const alive = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/**
 * The parent's handle on the client-fleet child process: typed commands, waiting for a given event,
 * and a `problems` list the scenarios check (a NACK or a dropped stream invalidates a measurement).
 */
export class FleetProcess {
  readonly problems: string[] = [];
  private readonly waiters = new Map<string, Waiter[]>();
  private exited = false;
  private onProblem?: (message: string) => void;

  private constructor(private readonly child: ChildProcess) {
    alive.add(child);
    child.on('message', (event: FleetEvent) => this.dispatch(event));
    child.on('exit', (code, signal) => {
      this.exited = true;
      alive.delete(child);
      if (code !== 0) this.problem(`client fleet exited (code ${code}, signal ${signal})`);
      const error = new Error(`client fleet exited (code ${code}, signal ${signal})`);
      for (const list of this.waiters.values()) for (const waiter of list) waiter.reject(error);
      this.waiters.clear();
    });
  }

  /**
   * Forks dist/xds/client-fleet.js (inheriting execArgv, so `node --cpu-prof` profiles it too) and
   * waits until it has loaded the xDS library: process start-up is not part of any measurement.
   */
  static async start(): Promise<FleetProcess> {
    const child = fork(fileURLToPath(new URL('./client-fleet.js', import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // 1,000 clients each holding 2,000 decoded resources outgrow V8's default heap limit.
      execArgv: [...process.execArgv, `--max-old-space-size=${FLEET_HEAP_MiB}`],
    });
    const fleet = new FleetProcess(child);
    await fleet.next('ready');
    return fleet;
  }

  send(command: FleetCommand): void {
    if (!this.exited) this.child.send(command);
  }

  /** The next event of this kind; rejects if the fleet dies first. */
  next<K extends FleetEvent['kind']>(kind: K): Promise<EventOf<K>> {
    return new Promise<EventOf<K>>((resolve, reject) => {
      if (this.exited) return reject(new Error('client fleet is not running'));
      const list = this.waiters.get(kind) ?? [];
      list.push({ resolve: (event) => resolve(event as EventOf<K>), reject });
      this.waiters.set(kind, list);
    });
  }

  /** Sends a command and waits for its answer. */
  async request<K extends FleetEvent['kind']>(command: FleetCommand, answer: K): Promise<EventOf<K>> {
    const reply = this.next(answer);
    this.send(command);
    return reply;
  }

  /** Calls `listener` on every problem from now on (used to fail a running scenario at once). */
  watchProblems(listener: ((message: string) => void) | undefined): void {
    this.onProblem = listener;
  }

  /** Asks the fleet to close its clients and exit; kills it if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ kind: 'shutdown' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private dispatch(event: FleetEvent): void {
    if (event.kind === 'problem') this.problem(event.message);
    this.waiters.get(event.kind)?.shift()?.resolve(event);
  }

  private problem(message: string): void {
    this.problems.push(message);
    this.onProblem?.(message);
  }
}
