// oclif's parts this command uses, not its index: that loads all of oclif and semver (~100 modules).
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';

import type { LocalStatus } from '../../local/local-status.js';
import { readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/** `meshctl local status [-o json]`: every workload with identity, address, proxy readiness and xDS sync. */
export default class LocalStatusCommand extends Command {
  static override summary = 'Show the workloads of the local mesh and the state of their sidecars.';
  static override flags = {
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
    output: Flags.string({ char: 'o', options: ['text', 'json'], default: 'text' }),
  };

  async run(): Promise<LocalStatus> {
    const { flags } = await this.parse(LocalStatusCommand);
    const stateDir = resolveStateDir(flags['state-dir']);
    const state = readRunState(stateDir);
    if (!state)
      this.error('no local mesh is running on this state directory (npx meshctl local up -f FILE)', {
        exit: 3,
      });
    // Loaded once a mesh is known to run: with none, status answers without any mesh library.
    const { localStatus, notReady, renderStatusTable } = await import('../../local/local-status.js');
    const status = await localStatus(state);
    this.log(flags.output === 'json' ? JSON.stringify(status, null, 2) : renderStatusTable(status));
    // Like a failing readiness check: scripts and CI can wait on it.
    const waiting = notReady(status);
    if (waiting.length > 0) this.error(`not ready: ${waiting.join(', ')}`, { exit: 1 });
    return status;
  }
}
