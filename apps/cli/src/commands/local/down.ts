import { Command, Flags } from '@oclif/core';

import { processAlive, readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/** `meshctl local down`: stops the mesh a detached `local up` left running (every process it started). */
export default class LocalDown extends Command {
  static override summary = 'Stop the local mesh running on the state directory.';
  static override flags = {
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
  };

  async run(): Promise<{ stopped: boolean; supervisorPid?: number }> {
    const { flags } = await this.parse(LocalDown);
    const state = readRunState(resolveStateDir(flags['state-dir']));
    if (!state) {
      this.log('no local mesh is running on this state directory');
      return { stopped: false };
    }
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (processAlive(state.supervisorPid)) {
      if (Date.now() > deadline)
        this.error(`supervisor ${state.supervisorPid} did not stop within 30 s`, { exit: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    this.log(`stopped mesh ${state.mesh} (${state.instances.length} workload instance(s))`);
    return { stopped: true, supervisorPid: state.supervisorPid };
  }
}
