import { closeSync, fstatSync, writeSync } from 'node:fs';

import type { ReadinessReport } from './readiness-report.js';

/**
 * The program's side of the readiness contract (see `readiness-report.ts`): istiod and mesh-proxy
 * create one from their `--ready-fd` and call `ready(ports)` or `failed(reason)`; only the first call
 * writes, later ones are ignored, so a failure after readiness cannot contradict it.
 */
export class ReadinessReporter<Ports> {
  #fd: number | undefined;

  /** `fd` undefined: nobody asked (no `--ready-fd`), every call is a no-op. */
  constructor(fd: number | undefined) {
    this.#fd = fd;
  }

  /** Whether a report is still owed. */
  get pending(): boolean {
    return this.#fd !== undefined;
  }

  ready(ports: Ports): void {
    this.#write({ ready: true, ports });
  }

  failed(reason: string): void {
    this.#write({ ready: false, reason: reason.trim() || 'unknown start-up failure' });
  }

  #write(report: ReadinessReport<Ports>): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      // One write of well under PIPE_BUF bytes: the reader never sees half a document.
      writeSync(fd, `${JSON.stringify(report)}\n`);
    } catch {
      // The launcher went away (EPIPE): nobody is left to tell, and the program carries on.
    } finally {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}

/**
 * The value of `--ready-fd`: a descriptor number above stdio (0-2, where logs go) that is open in
 * this process. Throws an `Error` whose message the program prefixes with the flag.
 */
export function parseReadyFd(value: string): number {
  const fd = Number(value);
  if (!/^\d+$/.test(value) || fd < 3)
    throw new Error(`"${value}" is not a file descriptor number (3 or more)`);
  try {
    fstatSync(fd);
  } catch {
    throw new Error(`descriptor ${fd} is not open`);
  }
  return fd;
}
