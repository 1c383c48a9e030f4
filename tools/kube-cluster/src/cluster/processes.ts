import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

import type { RunningComponent } from './cluster-layout.js';
import type { ComponentName } from './component-args.js';

/**
 * Starting and stopping the cluster's processes. They run detached, in sessions of their own, so
 * `cluster up` can return and leave them running; `cluster down` finds them again by the pid and
 * start time recorded in cluster.json, and signals a pid only while its start time still matches,
 * so a pid the kernel has since given to another program is never touched.
 */

/** The start time (clock ticks since boot) of a live process, or undefined if it is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
  // state is the 3rd field, starttime the 22nd.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? undefined : fields[19];
}

export function isRunning(component: RunningComponent): boolean {
  return processStartTime(component.pid) === component.startTime;
}

export function startProcess(
  name: ComponentName,
  binary: string,
  args: string[],
  log: string,
): RunningComponent {
  // spawn reports a missing program through an 'error' event, after the fact; check first so that
  // `up` can stop what it already started and say which program is missing.
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(`${name} cannot be started: ${binary} is missing or not executable`);
  }
  const out = openSync(log, 'a', 0o600);
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
    // An exec failure the check above could not foresee shows below as a process that is not running.
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`${name} could not be started (${binary})`);
    const startTime = processStartTime(child.pid);
    if (startTime === undefined) throw new Error(`${name} exited at once: see ${log}`);
    return { name, pid: child.pid, startTime, binary, log };
  } finally {
    closeSync(out);
  }
}

/** The last lines of a component's log, to say why it failed. */
export function logTail(log: string, lines = 15): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitForExit(component: RunningComponent, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(component)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

/**
 * Stops one process: SIGTERM, then SIGKILL if it has not exited within the grace period. Resolves
 * once it is gone; a process that was already gone (or whose pid now names another program) is left
 * alone.
 */
export async function stopProcess(component: RunningComponent, graceMs = 10_000): Promise<void> {
  if (!isRunning(component)) return;
  process.kill(component.pid, 'SIGTERM');
  if (await waitForExit(component, graceMs)) return;
  if (isRunning(component)) process.kill(component.pid, 'SIGKILL');
  if (!(await waitForExit(component, 5_000)))
    throw new Error(`${component.name} (pid ${component.pid}) did not exit after SIGKILL`);
}
