import { readFileSync } from 'node:fs';

import * as Args from '@oclif/core/args';
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';

import { readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';
import { instancesNamed, unknownWorkload } from '../../local/workload-names.js';

/** `meshctl local logs <workload>`: the app's output (and with `--proxy` its sidecar's) of every instance. */
export default class LocalLogs extends Command {
  static override summary = "Print a workload's logs (like kubectl logs).";
  static override args = {
    workload: Args.string({ required: true, description: 'workload or instance name' }),
  };
  static override flags = {
    proxy: Flags.boolean({ default: false, description: "the sidecar's log instead of the app's" }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
  };

  async run(): Promise<{ files: string[] }> {
    const { args, flags } = await this.parse(LocalLogs);
    const state = readRunState(resolveStateDir(flags['state-dir']));
    if (!state) this.error('no local mesh is running on this state directory', { exit: 3 });
    const instances = instancesNamed(state, args.workload);
    if (instances.length === 0) this.error(unknownWorkload(state, args.workload), { exit: 1 });
    const files = instances.flatMap((i) =>
      flags.proxy ? (i.logs.proxy ? [i.logs.proxy] : []) : [i.logs.app],
    );
    for (const file of files) {
      if (files.length > 1) this.log(`==> ${file} <==`);
      this.log(readFileSync(file, 'utf8').trimEnd());
    }
    return { files };
  }
}
