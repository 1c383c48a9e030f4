import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { processStartTime } from './processes.js';

/**
 * One `up` or `down` at a time per cluster directory: a lock file holding the pid of the command
 * that holds it. A lock left by a command that died is taken over.
 */
export const LOCK_FILE = '.lock';

export async function withDirectoryLock<T>(dir: string, body: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && processStartTime(holder) !== undefined)
        throw new Error(`another cluster command (pid ${holder}) is working in ${dir}`);
      rmSync(lock, { force: true });
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { force: true });
  }
}
