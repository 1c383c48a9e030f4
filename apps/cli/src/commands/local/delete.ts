import { existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

import { Command, Flags } from '@oclif/core';

import { readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/** `meshctl local delete -f FILE`: removes from the local mesh what `local apply -f FILE` added. */
export default class LocalDelete extends Command {
  static override summary = 'Remove YAML applied with "local apply" from the local mesh.';
  static override flags = {
    file: Flags.string({ char: 'f', required: true, multiple: true, description: 'the applied file(s)' }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
  };

  async run(): Promise<{ deleted: string[] }> {
    const { flags } = await this.parse(LocalDelete);
    const state = readRunState(resolveStateDir(flags['state-dir']));
    if (!state) this.error('no local mesh is running on this state directory', { exit: 3 });
    const deleted: string[] = [];
    for (const file of flags.file) {
      const target = join(state.configDir, `applied__${basename(file)}`);
      if (!existsSync(target)) this.error(`${file} was not applied to this mesh`, { exit: 1 });
      rmSync(target);
      deleted.push(file);
      this.log(`deleted ${file}`);
    }
    return { deleted };
  }
}
