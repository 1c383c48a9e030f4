import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The local platform's state directory when `--state-dir` is not given: `.mesh` in the current directory. */
export const DEFAULT_STATE_DIR = '.mesh';

export function stateDirFlagDefault(): string {
  return process.env['MESH_STATE_DIR'] ?? DEFAULT_STATE_DIR;
}

export function resolveStateDir(dir: string): string {
  return resolve(dir);
}

/**
 * Reads a secret file of the state directory, or creates it with `create()` (mode 0600, exclusive
 * creation, so meshctl and istiod racing on a fresh directory agree on one key).
 */
export function readOrCreateSecretFile(
  path: string,
  create: () => string,
): { content: string; created: boolean } {
  try {
    return { content: readFileSync(path, 'utf8'), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
    return { content: readFileSync(path, 'utf8'), created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { content: readFileSync(path, 'utf8'), created: false };
  }
}
