import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { formatFinding, parseConfigFile, type StoredConfig } from '@mesh/policy';
import { stringify } from 'yaml';

import { APPLIED_FILE, describeResource } from './applied-overrides.js';
import { privateDir } from './state-dir.js';

/**
 * What `meshctl local apply` added to a local mesh, by resource identity (kind, namespace, name, as
 * istiod keys config), not by the file it came from: applying a resource again replaces it whatever
 * the file is called, and `delete -f` removes exactly the resources its file names. The set lives in
 * the state directory (`applied.yaml`), so it outlives `down`; `up` copies it into the config
 * directory beside the mesh file's config (`config/mesh/`), named so that istiod, which takes the
 * first definition in path order, lets an applied resource override the mesh file's version of it
 * (applied-overrides.ts).
 * Every change is one atomic replacement of each file: istiod sees all of an apply or none of it.
 */

export type AppliedSet = ReadonlyMap<string, StoredConfig>;

/**
 * The resources of a YAML text keyed by identity, namespaced kinds without a namespace in `default`
 * (istiod's own parsing). Invalid resources are left out; validation reports them.
 */
export function resourcesOf(text: string, file: string): Map<string, StoredConfig> {
  return parseConfigFile(text, file, () => '0').configs;
}

/** A file given with `-f`, or undefined with the reason added to `errors`. */
export function readInput(file: string, errors: string[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    errors.push(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
}

/** The applied set of a state directory (empty before the first apply). */
export function readAppliedSet(stateDir: string): Map<string, StoredConfig> {
  const file = join(stateDir, APPLIED_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const parsed = parseConfigFile(text, file, () => '0');
  if (parsed.invalid.length > 0)
    throw new Error(
      `${file} (what local apply added) is not valid; fix or remove it:\n${parsed.invalid.map(formatFinding).join('\n')}`,
    );
  return parsed.configs;
}

function serialize(set: AppliedSet): string {
  return [...set.keys()]
    .sort()
    .map((key) => `---\n${stringify((set.get(key) as StoredConfig).object)}`)
    .join('');
}

/** Replaces `file` with `content` in one rename, owner-only. */
function replaceFile(file: string, content: string): void {
  const temporary = join(file, '..', `.${APPLIED_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Writes the applied set to the state directory, then to the config directory istiod watches. */
export function writeAppliedSet(stateDir: string, configDir: string, set: AppliedSet): void {
  const content = serialize(set);
  replaceFile(join(privateDir(stateDir), APPLIED_FILE), content);
  replaceFile(join(privateDir(configDir), APPLIED_FILE), content);
}

/** Puts the state directory's applied set into a freshly prepared config directory (`local up`). */
export function restoreAppliedSet(stateDir: string, configDir: string): void {
  const set = readAppliedSet(stateDir);
  if (set.size > 0) writeAppliedSet(stateDir, configDir, set);
}

/** What `local up` will restore, in a line, or undefined when nothing was applied. */
export function restoringLine(stateDir: string): string | undefined {
  const set = readAppliedSet(stateDir);
  if (set.size === 0) return undefined;
  const names = [...set.values()].map(describeResource).join(', ');
  return `restoring ${set.size} resource(s) added by "local apply" (kept in ${join(stateDir, APPLIED_FILE)} until "local delete -f"): ${names}`;
}
