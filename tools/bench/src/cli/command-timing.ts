import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * How long a command takes to run to completion, wall clock and CPU. CPU comes from this process's
 * children totals in /proc/self/stat (cutime + cstime: every child waited for, and their own waited
 * children), read before and after the run, so it counts what the command and whatever it ran used.
 * Elsewhere than Linux CPU is not measured.
 */

export interface CommandRun {
  wallMs: number;
  /** undefined where /proc is not available. */
  cpuMs: number | undefined;
}

/** Clock ticks per second of /proc/<pid>/stat's times: USER_HZ, 100 on every Linux Node supports. */
const USER_HZ = 100;

function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
    // state is field 3, cutime field 16 and cstime field 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Runs `argv` once; throws with its output when it exits with another code than `expectedCode`. */
export function timeCommand(
  argv: readonly string[],
  options: { expectedCode?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CommandRun {
  const [program, ...args] = argv as [string, ...string[]];
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const result = spawnSync(program, args, {
    encoding: 'utf8',
    timeout: 60_000,
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  const wallMs = performance.now() - started;
  const cpuAfter = childrenCpuMs();
  const expected = options.expectedCode ?? 0;
  if (result.error || result.status !== expected)
    throw new Error(
      `${argv.join(' ')}: ${result.error?.message ?? `exit code ${result.status ?? result.signal}, expected ${expected}`}\n${result.stdout}${result.stderr}`,
    );
  return {
    wallMs,
    cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
