import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';

import { stopProcessesOf } from '../../local/mesh-processes.js';
import { removePodsOf } from '../../local/pod-network.js';
import { endRun } from '../../local/run-credentials.js';
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
    const stateDir = resolveStateDir(flags['state-dir']);
    const state = readRunState(stateDir);
    if (!state) {
      // No supervisor: what the directory's mesh started may still run (its supervisor was killed), and
      // the tokens it minted still hold.
      const leftover = await stopProcessesOf(stateDir);
      const pods = removeLeftPods(stateDir);
      const ended = endRun(stateDir);
      const stopped = leftover.length > 0 || pods.length > 0;
      const done = [
        ...(stopped ? [`stopped ${leftover.length} process(es) of this state directory's mesh`] : []),
        ...(pods.length > 0 ? [`removed its pods' network namespaces (${pods.join(', ')})`] : []),
        ...(ended.tokenFiles > 0 ? [`removed ${ended.tokenFiles} token file(s)`] : []),
        ...(ended.tokensRevoked ? ['revoked every join token of the state directory'] : []),
      ];
      this.log(
        stopped
          ? `no supervisor was running; ${done.join(', ')}`
          : ['no local mesh is running on this state directory', ...done].join('; '),
      );
      return { stopped };
    }
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (processAlive(state.supervisorPid)) {
      if (Date.now() > deadline) {
        this.warn(`supervisor ${state.supervisorPid} did not stop within 30 s; killing it`);
        process.kill(state.supervisorPid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Whatever the supervisor left (killed while stopping them, or a process that left its group).
    await stopProcessesOf(stateDir);
    removeLeftPods(stateDir);
    endRun(stateDir);
    this.log(`stopped mesh ${state.mesh} (${state.instances.length} workload instance(s))`);
    return { stopped: true, supervisorPid: state.supervisorPid };
  }
}

/** Transparent mode's pods a killed supervisor left; only root can have made them (or remove them). */
function removeLeftPods(stateDir: string): string[] {
  return process.getuid?.() === 0 ? removePodsOf(stateDir) : [];
}
