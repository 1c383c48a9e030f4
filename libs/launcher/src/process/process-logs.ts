import type { ChildProcess } from 'node:child_process';
import { closeSync, fchmodSync, openSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Where a started process's stdout and stderr go: appended to a file (the local platform's
 * `<state>/logs/*.log`; the child writes it directly, so the log outlives its launcher), kept in
 * memory as lines (tests and benchmarks assert on them; `maxLines` keeps only the last ones), or the
 * launcher's own stdout and stderr.
 */
export type LogDestination =
  { file: string } | { memory: true; maxLines?: number; onLine?: (line: string) => void } | { inherit: true };

/**
 * One of a child's descriptors: a pipe to the parent, an IPC channel (`child.send`), the parent's
 * own, nothing, or a descriptor of the parent's.
 */
export type StdioEntry = 'pipe' | 'ipc' | 'inherit' | 'ignore' | number;

/** How much of a log file's end is read to explain a failure. */
const TAIL_BYTES = 16 * 1024;

export class ProcessLogs {
  /** Every line so far (memory destination only). */
  readonly lines: string[] = [];
  readonly #destination: LogDestination;
  #fd: number | undefined;

  constructor(destination: LogDestination) {
    this.#destination = destination;
  }

  get file(): string | undefined {
    return 'file' in this.#destination ? this.#destination.file : undefined;
  }

  /** stdout and stderr of the child: the parent's, the log file's descriptor, or pipes read by `attach`. */
  stdio(): [StdioEntry, StdioEntry] {
    if ('inherit' in this.#destination) return ['inherit', 'inherit'];
    if ('file' in this.#destination) {
      // Logs may hold what a process printed of its config (Secrets among it): owner only, also
      // when a file left by an earlier run was created with looser permissions.
      this.#fd = openSync(this.#destination.file, 'a', 0o600);
      fchmodSync(this.#fd, 0o600);
      return [this.#fd, this.#fd];
    }
    return ['pipe', 'pipe'];
  }

  /** After spawn: the parent's copy of the file descriptor is closed, pipes are read line by line. */
  attach(child: ChildProcess): void {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    const destination = this.#destination;
    if (!('memory' in destination)) return;
    const keep = (line: string) => {
      this.lines.push(line);
      if (destination.maxLines !== undefined && this.lines.length > destination.maxLines) this.lines.shift();
      destination.onLine?.(line);
    };
    for (const stream of [child.stdout, child.stderr])
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', keep);
  }

  /** The last `count` non-empty lines (read from the end of the file for a file destination). */
  tail(count: number): string[] {
    const file = this.file;
    const lines = file === undefined ? this.lines : readTail(file);
    return lines.filter((line) => line.trim() !== '').slice(-count);
  }

  /** Where to look for more, for error messages. */
  describe(): string {
    const file = this.file;
    if (file !== undefined) return `see ${file}`;
    if ('inherit' in this.#destination) return 'see its output above';
    const last = this.tail(20);
    return last.length === 0 ? 'it logged nothing' : `its last lines:\n${last.join('\n')}`;
  }
}

function readTail(file: string): string[] {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    fd = openSync(file, 'r');
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').split('\n');
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
