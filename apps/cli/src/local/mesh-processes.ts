import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every process a state directory's mesh started — istiod, sidecars, apps and whatever those started
 * themselves — carries `MESHCTL_STATE_DIR=<state dir>` in its environment (children inherit it). That
 * mark is how `local down` finds them when the supervisor is gone (killed, or run.json lost), and how
 * `local up` knows an earlier mesh still runs on the directory; a pid in run.json alone could by now
 * be another program's.
 */

const MARK = 'MESHCTL_STATE_DIR';

/** The environment entry that marks a process as this state directory's. */
export function stateDirMark(stateDir: string): Record<string, string> {
  return { [MARK]: stateDir };
}

/** The pids of the running processes that carry `stateDir`'s mark, this process excepted (Linux). */
export function processesOf(stateDir: string): number[] {
  const entry = Buffer.from(`${MARK}=${stateDir}\0`);
  const found: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      // A zombie's environment reads empty: it is not running.
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (environ.indexOf(entry) === 0 || environ.includes(Buffer.concat([Buffer.from('\0'), entry])))
        found.push(pid);
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return found;
}

/**
 * Why `local up` must not start on `stateDir`, when processes of an earlier mesh still run there: a
 * second mesh would share its CA, config and addresses with the first.
 */
export function earlierMeshStillRuns(stateDir: string): string | undefined {
  const earlier = processesOf(stateDir);
  return earlier.length === 0
    ? undefined
    : `processes of an earlier mesh still run on ${stateDir} (pids ${earlier.join(' ')}); run "npx meshctl local down" first`;
}

/**
 * Stops every process of `stateDir`'s mesh: SIGTERM, then SIGKILL to what is left after `graceMs`.
 * Resolves with the pids it found.
 */
export async function stopProcessesOf(stateDir: string, graceMs = 5000): Promise<number[]> {
  const pids = processesOf(stateDir);
  const signal = (pid: number, name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // exited meanwhile
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processesOf(stateDir).length > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of processesOf(stateDir)) signal(pid, 'SIGKILL');
  return pids;
}
