import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { Command, Flags } from '@oclif/core';
import { formatFinding, validateYaml } from '@mesh/policy';

import { readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/**
 * `meshctl local apply -f FILE`: validates the file like istiod's webhook would and, when it is valid,
 * writes it into the running mesh's config directory, where istiod picks it up. An invalid file is
 * reported with file:line and changes nothing.
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

  async run(): Promise<{ applied: string[] }> {
    const { flags } = await this.parse(LocalApply);
    const state = readRunState(resolveStateDir(flags['state-dir']));
    if (!state) this.error('no local mesh is running on this state directory', { exit: 3 });
    const files = flags.file.map((f) => resolve(f));
    const errors: string[] = [];
    for (const file of files) {
      const { errors: found, resources } = validateYaml(readFileSync(file, 'utf8'), file);
      errors.push(...found.map(formatFinding));
      // As `kubectl apply` does: a kind the mesh does not serve is an error, not something to skip.
      for (const r of resources.filter((r) => r.category === 'unknown'))
        errors.push(
          `${r.source.file}:${r.source.line} no matches for kind "${r.kind}" in version "${r.apiVersion}"`,
        );
    }
    if (errors.length > 0) this.error(`nothing applied:\n${errors.join('\n')}`, { exit: 1 });
    for (const file of files) {
      writeFileSync(join(state.configDir, `applied__${basename(file)}`), readFileSync(file));
      this.log(`applied ${file}`);
    }
    return { applied: files };
  }
}
