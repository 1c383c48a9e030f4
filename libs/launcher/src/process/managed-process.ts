import { spawn, type ChildProcess } from 'node:child_process';

import { ProcessLogs, type LogDestination, type StdioEntry } from './process-logs.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessOptions {
  /** For messages: `istiod`, `reviews-v1-0.proxy`. */
  name: string;
  /** The command line; `node` as the command means this Node (the pinned one). */
  argv: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logs: LogDestination;
}

/** SIGTERM's grace before SIGKILL, unless the caller says otherwise. */
export const DEFAULT_STOP_GRACE_MS = 5000;

/** How long an exited process's output pipes may take to drain before `exited` resolves anyway. */
const PIPES_DRAIN_MS = 2000;

/** Resolves after `ms` without keeping the event loop alive. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Signals a child's process group — the child and whatever it started that stayed in its group (a
 * workload's own helpers) — or the child alone if the group is gone. Returns whether one was there.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return child.kill(signal);
  }
}

/** Everything started and still running: an exiting launcher takes them (and their groups) with it. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of running) signalGroup(c, 'SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * A child process with its logs, its exit, and a stop that always ends it. It never outlives the
 * process that started it (killed when that one exits, however it exits short of SIGKILL). Each runs
 * in a process group of its own, which `stop` ends whole: what a workload started goes with it, and a
 * terminal's Ctrl-C reaches only the launcher, which stops its children in order.
 */
export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: ProcessLogs;
  /** Resolves when the process has exited (never rejects; a failed spawn exits with code 127). */
  readonly exited: Promise<ExitStatus>;
  #status: ExitStatus | undefined;
  #spawnError: string | undefined;

  /** `extraStdio`: descriptors from 3 on (e.g. the readiness pipe). */
  constructor(options: ProcessOptions, extraStdio: StdioEntry[] = []) {
    const [command, ...args] = options.argv;
    if (command === undefined) throw new Error(`${options.name}: empty command line`);
    this.name = options.name;
    this.logs = new ProcessLogs(options.logs);
    this.child = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', ...this.logs.stdio(), ...extraStdio],
      detached: true,
    });
    this.logs.attach(this.child);
    track(this.child);
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      const settle = (status: ExitStatus) => {
        if (this.#status) return;
        this.#status = status;
        running.delete(this.child);
        // Once its pipes are drained too, so `logs` holds everything it wrote (bounded: a grandchild
        // could hold a pipe open).
        void Promise.race([closed, delay(PIPES_DRAIN_MS)]).then(() => resolve(status));
      };
      this.child.once('exit', (code, signal) => settle({ code, signal }));
      // A command that cannot be executed at all (ENOENT, EACCES) emits 'error' and no 'exit'.
      this.child.once('error', (err) => {
        this.#spawnError = `cannot run ${command}: ${err.message}`;
        settle({ code: 127, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Why the command could not be executed at all, if it could not. */
  get spawnError(): string | undefined {
    return this.#spawnError;
  }

  get running(): boolean {
    return this.#status === undefined;
  }

  /**
   * Sends `signal` (SIGTERM by default), then SIGKILL if the process is still there after `graceMs`;
   * resolves with how it exited. Idempotent: a stopped process resolves at once.
   */
  async stop(options: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<ExitStatus> {
    if (this.#status) return this.exited;
    const { signal = 'SIGTERM', graceMs = DEFAULT_STOP_GRACE_MS } = options;
    signalGroup(this.child, signal);
    const timer = setTimeout(() => signalGroup(this.child, 'SIGKILL'), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    // What it started and left behind (it exited, they did not) goes too.
    signalGroup(this.child, 'SIGKILL');
    return status;
  }
}

/** Describes how a process ended, for messages: `code 2`, `signal SIGKILL`. */
export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/** Stops every process at once (each SIGTERM, then SIGKILL after the grace). */
export async function stopAll(
  processes: readonly ManagedProcess[],
  options: { graceMs?: number } = {},
): Promise<void> {
  await Promise.all(processes.map((p) => p.stop(options)));
}
