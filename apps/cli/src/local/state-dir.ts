import { resolve } from 'node:path';

/** The local platform's state directory when `--state-dir` is not given: `.mesh` in the current directory. */
export const DEFAULT_STATE_DIR = '.mesh';

export function stateDirFlagDefault(): string {
  return process.env['MESH_STATE_DIR'] ?? DEFAULT_STATE_DIR;
}

export function resolveStateDir(dir: string): string {
  return resolve(dir);
}
