import { spawnSync } from 'node:child_process';

import * as Args from '@oclif/core/args';
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';

import { readRunState } from '../../local/run-state.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';
import { instancesNamed, unknownWorkload } from '../../local/workload-names.js';

/**
 * `meshctl local exec <workload> -- <cmd...>`: runs a command as the workload would, like
 * `kubectl exec`: with its environment (in explicit mode the proxy variables that send its calls
 * through its sidecar) and, in transparent mode, in its network namespace. Exits with the command's
 * exit code.
 */
export default class LocalExec extends Command {
  static override summary = 'Run a command as a workload of the local mesh would.';
  static override strict = false;
  static override args = {
    workload: Args.string({ required: true, description: 'workload or instance name' }),
  };
  static override flags = {
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
  };
  static override examples = [
    '<%= config.bin %> local exec productpage -- curl -s http://reviews:9080/reviews/0',
  ];

  async run(): Promise<{ status: number }> {
    const { args, flags, argv } = await this.parse(LocalExec);
    const command = (argv as string[]).slice(1);
    if (command.length === 0)
      this.error('no command given: meshctl local exec <workload> -- <cmd...>', { exit: 2 });
    const state = readRunState(resolveStateDir(flags['state-dir']));
    if (!state) this.error('no local mesh is running on this state directory', { exit: 3 });
    // A workload's first instance, as `kubectl exec deploy/x` picks one of its pods.
    const [instance] = instancesNamed(state, args.workload);
    if (!instance) this.error(unknownWorkload(state, args.workload), { exit: 1 });
    // Transparent mode: inside the workload's network namespace, where iptables captures its traffic.
    const inPod = instance.netns ? ['ip', 'netns', 'exec', instance.netns, ...command] : command;
    const [program, ...rest] = inPod as [string, ...string[]];
    const result = spawnSync(program, rest, { stdio: 'inherit', env: { ...process.env, ...instance.env } });
    if (result.error) this.error(`cannot run ${program}: ${result.error.message}`, { exit: 127 });
    process.exitCode = result.status ?? 1;
    return { status: result.status ?? 1 };
  }
}
