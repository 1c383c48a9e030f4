import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import {
  LAST_GOOD_FILE,
  parseLastGood,
  serializeLastGood,
  type SavedConfig,
  type StoredConfig,
} from '@mesh/policy';

/**
 * istiod's copy of the last good resources of every config file on disk (its format and place are
 * @mesh/policy's last-good-copy.ts). Owner-only (0600 in a 0700 directory): it holds the mesh's
 * policies. Written atomically (a fresh temporary file renamed over the old one), so a crash
 * mid-write leaves the previous copy.
 */

/** The saved resources by file; empty when there is no copy yet. */
export function readLastGood(
  stateDir: string,
  onProblem: (message: string) => void,
): Map<string, SavedConfig[]> {
  const path = join(stateDir, LAST_GOOD_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      onProblem(`cannot read ${path}, starting without last good config: ${(err as Error).message}`);
    return new Map();
  }
  return parseLastGood(text, path, onProblem);
}

export async function writeLastGood(
  stateDir: string,
  files: ReadonlyMap<string, Iterable<StoredConfig>>,
): Promise<void> {
  const path = join(stateDir, LAST_GOOD_FILE);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(serializeLastGood(files));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}
