export const LAUNCH_ERROR_CODES = {
  /** The command's package or its `bin` entry is missing. */
  LAUNCH_NOT_INSTALLED: 'not installed',
  /** The program reported `{"ready":false,"reason":...}`. */
  LAUNCH_FAILED: 'reported a start-up failure',
  /** The program exited before it reported readiness. */
  LAUNCH_EXITED: 'exited before it was ready',
  /** No report within the start-up timeout; the program was stopped. */
  LAUNCH_TIMEOUT: 'not ready in time',
  /** The program wrote something that breaks the readiness contract. */
  LAUNCH_BAD_REPORT: 'wrote an invalid readiness report',
} as const;

export type LaunchErrorCode = keyof typeof LAUNCH_ERROR_CODES;

/**
 * A program that could not be started. `reason` is the program's own words where it said any (its
 * readiness report, else the last line it logged); by the time this is thrown, nothing of it runs.
 */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';

  constructor(
    readonly code: LaunchErrorCode,
    readonly program: string,
    readonly reason: string,
    /** Where to read more: the log file, or the last lines the program logged. */
    readonly details?: string,
    options?: { cause?: unknown },
  ) {
    super(`${program}: ${reason}${details ? `; ${details}` : ''}`, options);
  }
}
