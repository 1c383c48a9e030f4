import type { Readable } from 'node:stream';

import {
  parseReadinessReport,
  READY_FD_FLAG,
  ReadinessReportError,
  type PortsOf,
  type ReportingProgram,
} from '../readiness/readiness-report.js';
import { LaunchError, type LaunchErrorCode } from './launch-error.js';
import { delay, describeExit, ManagedProcess } from './managed-process.js';
import { meshBinary } from './mesh-binaries.js';
import type { LogDestination } from './process-logs.js';

/** How a mesh program is run, whatever its own flags. */
export interface ProgramLaunchOptions {
  /** For messages and logs; the command name by default. */
  name?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logs: LogDestination;
  /** Flags for its Node (`--cpu-prof`, `--max-semi-space-size=4`). */
  nodeFlags?: readonly string[];
  /**
   * Runs the command line through programs that exec it (`ip netns exec`, `setpriv`): the pid, the
   * signals and the readiness descriptor stay the program's own.
   */
  wrap?: (argv: readonly string[]) => string[];
  /** How long the program may take to report readiness (default 30 s); then it is stopped. */
  readyTimeoutMs?: number;
}

/** The descriptor the readiness pipe gets in the child: the first after stdin, stdout and stderr. */
const READY_FD = 3;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** How long a program that reported a failure gets to exit by itself before it is killed. */
const EXIT_AFTER_FAILURE_MS = 2000;
/** A report is one short line; a program writing more without a newline breaks the contract. */
const MAX_REPORT_CHARS = 64 * 1024;

type Outcome = { line: string } | { eof: true } | { timeout: true };

/**
 * The command line that runs `program` from its installed package with this Node, reporting readiness
 * on the descriptor `MeshProgram` opens for it.
 */
export function programCommandLine(
  program: ReportingProgram,
  args: readonly string[],
  options: Pick<ProgramLaunchOptions, 'nodeFlags' | 'wrap'> = {},
): string[] {
  const argv = [
    process.execPath,
    ...(options.nodeFlags ?? []),
    meshBinary(program),
    ...args,
    READY_FD_FLAG,
    String(READY_FD),
  ];
  return options.wrap ? options.wrap(argv) : argv;
}

/**
 * A process that reports readiness as `program` does (istiod, mesh-proxy), on descriptor 3: `ready`
 * resolves with the ports it reports once it serves, or rejects with a `LaunchError` carrying its
 * reason — and only after nothing of it runs any more.
 */
export class MeshProgram<P extends ReportingProgram> extends ManagedProcess {
  readonly program: P;
  readonly ready: Promise<PortsOf[P]>;

  /** `argv`: usually `programCommandLine(program, ...)`. */
  constructor(program: P, argv: readonly string[], options: ProgramLaunchOptions) {
    super({ name: options.name ?? program, argv, cwd: options.cwd, env: options.env, logs: options.logs }, [
      'pipe',
    ]);
    this.program = program;
    const pipe = this.child.stdio[READY_FD] as Readable | null | undefined;
    this.ready = this.#awaitReport(pipe ?? undefined, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    // Callers that never ask are not told about an unhandled rejection; the process is gone anyway.
    this.ready.catch(() => undefined);
  }

  async #awaitReport(pipe: Readable | undefined, timeoutMs: number): Promise<PortsOf[P]> {
    const outcome = await readOneLine(pipe, timeoutMs);
    if ('timeout' in outcome)
      return this.#fail('LAUNCH_TIMEOUT', `not ready within ${timeoutMs / 1000} s`, 'SIGTERM');
    if ('eof' in outcome) {
      // The descriptor closes with the process: the program exited (or was killed) before it knew.
      const status = await Promise.race([this.exited, delay(EXIT_AFTER_FAILURE_MS).then(() => undefined)]);
      if (!status)
        return this.#fail('LAUNCH_BAD_REPORT', 'closed its readiness descriptor without a report', 'SIGKILL');
      const last = this.spawnError ?? this.logs.tail(1)[0];
      return this.#fail('LAUNCH_EXITED', `exited with ${describeExit(status)}${last ? `: ${last}` : ''}`);
    }
    let report;
    try {
      report = parseReadinessReport(this.program, outcome.line);
    } catch (err) {
      if (!(err instanceof ReadinessReportError)) throw err;
      return this.#fail('LAUNCH_BAD_REPORT', `invalid readiness report: ${err.message}`, 'SIGKILL');
    }
    if (report.ready) return report.ports;
    return this.#fail('LAUNCH_FAILED', report.reason);
  }

  /**
   * Ends the process (`signal` at once, else after it had a moment to exit by itself), then throws:
   * the caller hears of the failure only when nothing of the program is left.
   */
  async #fail(code: LaunchErrorCode, reason: string, signal?: NodeJS.Signals): Promise<never> {
    if (signal) await this.stop({ signal, graceMs: EXIT_AFTER_FAILURE_MS });
    else if (!(await Promise.race([this.exited, delay(EXIT_AFTER_FAILURE_MS).then(() => false)])))
      await this.stop({ signal: 'SIGKILL' });
    throw new LaunchError(code, this.name, reason, this.logs.describe());
  }
}

/** The first line written to `pipe`, or its end without one, or the timeout; then stops reading. */
function readOneLine(pipe: Readable | undefined, timeoutMs: number): Promise<Outcome> {
  if (!pipe) return Promise.resolve({ eof: true });
  return new Promise<Outcome>((resolve) => {
    let text = '';
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pipe.removeAllListeners('data');
      pipe.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ timeout: true }), timeoutMs);
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) done({ line: text.slice(0, newline) });
      else if (text.length > MAX_REPORT_CHARS) done({ line: text });
    });
    pipe.once('close', () => done(text.trim() ? { line: text } : { eof: true }));
  });
}
