import type { StoredConfig } from '../store/config-store.js';
import { validateResource } from '../validation/validate-resource.js';

/**
 * The format of istiod's copy of the last good resources of every config file, kept in its state
 * directory so that a file broken while istiod was down (or broken, then istiod restarted) still
 * enforces what it last enforced. istiod writes it (owner-only, atomically) after every change it
 * takes in; `meshctl local status` reads it to evaluate the resources istiod keeps in force.
 */

/** Where the copy lives, relative to istiod's state directory (not in `config/`, the local platform's config directory). */
export const LAST_GOOD_FILE = 'last-good/config.json';

/** A resource as saved: its version is given anew on every run. */
export type SavedConfig = Omit<StoredConfig, 'resourceVersion'>;

interface SavedState {
  version: 1;
  /** By file, relative to the config directory. */
  files: Record<string, SavedConfig[]>;
}

export function serializeLastGood(files: ReadonlyMap<string, Iterable<StoredConfig>>): string {
  const state: SavedState = { version: 1, files: {} };
  for (const [file, configs] of files)
    state.files[file] = [...configs].map(({ resourceVersion: _version, ...saved }) => saved);
  return JSON.stringify(state);
}

/**
 * The saved resources by file. A copy that cannot be parsed, or an object that no longer validates
 * (after an upgrade that tightened a rule), is left out and reported through `onProblem`.
 */
export function parseLastGood(
  text: string,
  path: string,
  onProblem: (message: string) => void,
): Map<string, SavedConfig[]> {
  let saved: SavedState;
  try {
    saved = JSON.parse(text) as SavedState;
  } catch (err) {
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
