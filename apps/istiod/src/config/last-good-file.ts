import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  LAST_GOOD_FILE,
  parseLastGood,
  serializeLastGood,
  type SavedConfig,
  type StoredConfig,
} from '@mesh/policy';

import { writeOwnerOnlyFile } from '../state/owner-only-file.js';

/**
 * istiod's copy of the last good resources of every config file on disk (its format and place are
 * @mesh/policy's last-good-copy.ts). Owner-only (0600 in a 0700 directory): it holds the mesh's
 * policies. Written atomically (see owner-only-file.ts), so a crash mid-write leaves the previous copy.
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
  await writeOwnerOnlyFile(join(stateDir, LAST_GOOD_FILE), serializeLastGood(files));
}
