import { resolve } from 'node:path';

import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import { formatFinding, validateYaml, type StoredConfig } from '@mesh/policy';
import { checkEnvoyPatchValue } from '@mesh/xds/envoy-filter';

import { readAppliedSet, readInput, resourcesOf, writeAppliedSet } from '../../local/applied-config.js';
import { describeResource } from '../../local/applied-overrides.js';
import { AppliedSetBusy, withAppliedSetLock } from '../../local/applied-lock.js';
import { readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

type Action = 'created' | 'configured' | 'unchanged';

/**
 * `meshctl local apply -f FILE...`: validates the files like istiod's webhook would and, when all are
 * valid, adds their resources to the running mesh by identity (kind, namespace, name), replacing an
 * applied resource of the same identity whatever file it came from, as `kubectl apply` does. All the
 * files or nothing: an invalid one is reported with file:line and changes nothing. What is applied
 * stays in the state directory until `local delete` removes it, across `down` and `up`.
 */
export default class LocalApply extends Command {
  static override summary = 'Apply Istio or Kubernetes YAML to the local mesh.';
  static override flags = {
    file: Flags.string({ char: 'f', required: true, multiple: true, description: 'YAML file(s) to apply' }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
  };

  async run(): Promise<{ applied: { resource: string; action: Action }[] }> {
    const { flags } = await this.parse(LocalApply);
    const stateDir = resolveStateDir(flags['state-dir']);
    const state = readRunState(stateDir);
    if (!state) this.error('no local mesh is running on this state directory', { exit: 3 });
    const errors: string[] = [];
    const incoming: [string, StoredConfig][] = [];
    for (const file of flags.file.map((f) => resolve(f))) {
      const text = readInput(file, errors);
      if (text === undefined) continue;
      const { errors: found, resources } = validateYaml(text, file, { checkEnvoyPatchValue });
      errors.push(...found.map(formatFinding));
      // As `kubectl apply` does: a kind the mesh does not serve is an error, not something to skip.
      for (const r of resources.filter((r) => r.category === 'unknown'))
        errors.push(
          `${r.source.file}:${r.source.line} no matches for kind "${r.kind}" in version "${r.apiVersion}"`,
        );
      if (resources.length === 0 && found.length === 0) errors.push(`${file}: no resources found`);
      incoming.push(...resourcesOf(text, file));
    }
    if (errors.length > 0) this.error(`nothing applied:\n${errors.join('\n')}`, { exit: 1 });

    const applied = await this.#locked(stateDir, () => {
      const set = this.#appliedSet(stateDir);
      const changes: { resource: string; action: Action }[] = [];
      for (const [key, config] of incoming) {
        const before = set.get(key);
        const action: Action = !before
          ? 'created'
          : JSON.stringify(before.object) === JSON.stringify(config.object)
            ? 'unchanged'
            : 'configured';
        set.set(key, config);
        changes.push({ resource: describeResource(config), action });
      }
      writeAppliedSet(stateDir, state.configDir, set);
      return changes;
    });
    for (const { resource, action } of applied) this.log(`${resource} ${action}`);
    return { applied };
  }

  /** Runs the read-change-write of the applied set holding its lock (another apply or delete may run). */
  async #locked<T>(stateDir: string, change: () => T): Promise<T> {
    try {
      return await withAppliedSetLock(stateDir, change);
    } catch (err) {
      if (err instanceof AppliedSetBusy) this.error(`nothing applied: ${err.message}`, { exit: 1 });
      throw err;
    }
  }

  #appliedSet(stateDir: string): Map<string, StoredConfig> {
    try {
      return readAppliedSet(stateDir);
    } catch (err) {
      return this.error(`nothing applied: ${(err as Error).message}`, { exit: 1 });
    }
  }
}
