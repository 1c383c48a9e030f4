import { resolve } from 'node:path';

import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import { configKey, formatFinding, loadYaml, storedNamespace, type StoredConfig } from '@mesh/policy';

import { readAppliedSet, readInput, writeAppliedSet } from '../../local/applied-config.js';
import { describeResource } from '../../local/applied-overrides.js';
import { AppliedSetBusy, withAppliedSetLock } from '../../local/applied-lock.js';
import { readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/**
 * `meshctl local delete -f FILE...`: removes from the local mesh exactly the resources the files name
 * (kind, namespace, name), whichever file applied them. All or nothing: when one of them was not
 * applied (or a file cannot be read), nothing is deleted and the command says which.
 */
export default class LocalDelete extends Command {
  static override summary = 'Remove resources applied with "local apply" from the local mesh.';
  static override flags = {
    file: Flags.string({
      char: 'f',
      required: true,
      multiple: true,
      description: 'YAML file(s) naming the resources',
    }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
  };

  async run(): Promise<{ deleted: string[] }> {
    const { flags } = await this.parse(LocalDelete);
    const stateDir = resolveStateDir(flags['state-dir']);
    const state = readRunState(stateDir);
    if (!state) this.error('no local mesh is running on this state directory', { exit: 3 });
    const errors: string[] = [];
    const named = new Map<string, string>();
    for (const file of flags.file.map((f) => resolve(f))) {
      // Only identities count: a resource whose spec no longer validates can still be deleted.
      const text = readInput(file, errors);
      if (text === undefined) continue;
      const { resources, findings } = loadYaml(text, file);
      errors.push(...findings.filter((f) => f.level === 'Error').map(formatFinding));
      for (const r of resources) {
        const identity = { kind: r.kind, namespace: storedNamespace(r), name: r.name };
        if (r.name === '') errors.push(`${r.source.file}:${r.source.line} ${r.kind} has no metadata.name`);
        else
          named.set(configKey(identity.kind, identity.namespace, identity.name), describeResource(identity));
      }
    }
    if (errors.length > 0) this.error(`nothing deleted:\n${errors.join('\n')}`, { exit: 1 });
    // Read, checked and written holding the lock: another apply or delete may run at the same time.
    try {
      await withAppliedSetLock(stateDir, () => {
        let set: Map<string, StoredConfig>;
        try {
          set = readAppliedSet(stateDir);
        } catch (err) {
          return this.error(`nothing deleted: ${(err as Error).message}`, { exit: 1 });
        }
        const missing = [...named]
          .filter(([key]) => !set.has(key))
          .map(([, resource]) => `${resource} was not applied with "meshctl local apply"`);
        if (missing.length > 0) this.error(`nothing deleted:\n${missing.join('\n')}`, { exit: 1 });
        for (const key of named.keys()) set.delete(key);
        writeAppliedSet(stateDir, state.configDir, set);
      });
    } catch (err) {
      if (err instanceof AppliedSetBusy) this.error(`nothing deleted: ${err.message}`, { exit: 1 });
      throw err;
    }
    const deleted = [...named.values()];
    for (const resource of deleted) this.log(`${resource} deleted`);
    return { deleted };
  }
}
