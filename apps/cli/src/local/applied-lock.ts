import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One change to the applied set at a time. `local apply` and `local delete` read the set, change it
 * and write it back: two at once would each write their own version, and the last would silently
 * drop the other's change. The lock is a file created exclusively (O_EXCL) in the state directory
 * holding its owner's pid. A lock whose owner is gone (killed mid-apply) is taken over; a live owner
 * is waited for, a bounded time, then the command fails saying who holds it.
 */

export const APPLIED_LOCK_FILE = 'applied.lock';

/** How long a command waits for another one's change (an apply takes well under a second). */
export const APPLIED_LOCK_WAIT_MS = 15_000;

const RETRY_MS = 50;

/** The lock stayed held by a live process for the whole wait. */
export class AppliedSetBusy extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock: true when this process now holds it. */
function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes a lock whose owner is gone. It is moved aside first and its owner read again from the moved
 * file: if another process took the lock over in between, the move caught a live lock, which is put
 * back (unless yet another process has created one since, which then stands).
 */
function breakStale(lock: string, deadPid: number): void {
  const aside = `${lock}.${randomBytes(6).toString('hex')}.stale`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // already gone: another process broke it
  }
  const owner = ownerOf(aside);
  rmSync(aside, { force: true });
  if (owner === undefined || owner === deadPid) return;
  try {
    writeFileSync(lock, `${owner}\n`, { flag: 'wx', mode: 0o600 });
  } catch {
    // another lock exists again
  }
}

/** Runs `change` holding the applied set's lock of `stateDir`. */
export async function withAppliedSetLock<T>(
  stateDir: string,
  change: () => T | Promise<T>,
  waitMs = APPLIED_LOCK_WAIT_MS,
): Promise<T> {
  const lock = join(stateDir, APPLIED_LOCK_FILE);
  const deadline = Date.now() + waitMs;
  while (!tryLock(lock)) {
    const owner = ownerOf(lock);
    if (owner !== undefined && !alive(owner)) {
      breakStale(lock, owner);
      continue;
    }
    if (Date.now() >= deadline)
      throw new AppliedSetBusy(
        `another meshctl (pid ${owner ?? 'unknown'}) is changing what "local apply" added (${lock}) and did not finish within ${waitMs / 1000} s; try again, or remove the lock if that process is gone`,
      );
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  try {
    return await change();
  } finally {
    rmSync(lock, { force: true });
  }
}
