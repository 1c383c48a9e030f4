import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { validateResource, type StoredConfig } from '@mesh/policy';

/**
 * The last good resources of every config file, kept in istiod's state directory so that a file
 * broken while istiod was down (or broken, then istiod restarted) still enforces what it last
 * enforced. Owner-only (0600 in a 0700 directory): it holds the mesh's policies. Written atomically
 * (a fresh temporary file renamed over the old one), so a crash mid-write leaves the previous copy.
 */
// Not under `config/`: the local platform's config directory is `<state-dir>/config`, and the copy
// must never be read as config itself.
export const LAST_GOOD_FILE = 'last-good/config.json';

type SavedConfig = Omit<StoredConfig, 'resourceVersion'>;

interface SavedState {
  version: 1;
  /** By file, relative to the config directory. */
  files: Record<string, SavedConfig[]>;
}

/**
 * The saved resources by file; empty when there is no copy yet. A copy that cannot be read, or an
 * object that no longer validates (after an upgrade that tightened a rule), is left out and reported.
 */
export function readLastGood(
  stateDir: string,
  onProblem: (message: string) => void,
): Map<string, SavedConfig[]> {
  const path = join(stateDir, LAST_GOOD_FILE);
  let saved: SavedState;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as SavedState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      onProblem(`cannot read ${path}, starting without last good config: ${(err as Error).message}`);
    return new Map();
  }
  const byFile = new Map<string, SavedConfig[]>();
  for (const [file, configs] of Object.entries(saved.files ?? {})) {
    const valid = (Array.isArray(configs) ? configs : []).filter((config) => {
      const { errors } = validateResource(config.object);
      if (errors.length > 0)
        onProblem(`${path}: saved ${config.kind} ${config.namespace}/${config.name} no longer validates`);
      return errors.length === 0;
    });
    byFile.set(file, valid);
  }
  return byFile;
}

export async function writeLastGood(
  stateDir: string,
  files: ReadonlyMap<string, Iterable<StoredConfig>>,
): Promise<void> {
  const state: SavedState = { version: 1, files: {} };
  for (const [file, configs] of files)
    state.files[file] = [...configs].map(({ resourceVersion: _version, ...saved }) => saved);
  const path = join(stateDir, LAST_GOOD_FILE);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(state));
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
