import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

/** The local platform's state directory when `--state-dir` is not given: `.mesh` in the current directory. */
export const DEFAULT_STATE_DIR = '.mesh';

export function stateDirFlagDefault(): string {
  return process.env['MESH_STATE_DIR'] ?? DEFAULT_STATE_DIR;
}

export function resolveStateDir(dir: string): string {
  return resolve(dir);
}

/**
 * A directory of the state directory (or the state directory itself), owner-only: what it holds —
 * keys, tokens, the copied config with its Secrets, logs, the run state — is the user's alone (DESIGN
 * §12). Created 0700, and made 0700 when an earlier run or another tool left it open.
 */
export function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}
