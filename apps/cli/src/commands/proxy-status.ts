import { Args, Command, Flags } from '@oclif/core';

import { DiagnoseError, EXIT, instancesNamed, runningMesh } from '../diagnose/diagnose-mesh.js';
import {
  proxyStatus,
  renderProxyStatus,
  type ProxyStatusResult,
  type SynczProxy,
} from '../diagnose/proxy-status.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../diagnose/render-output.js';
import { resolveStateDir, stateDirFlagDefault } from '../local/state-dir.js';

/**
 * `meshctl proxy-status [<workload>]` (`istioctl proxy-status -v 1`) on the local mesh: istiod's own
 * record of what it sent each sidecar per xDS type and what the sidecar ACKed or NACKed, asked of its
 * `/debug/syncz` on the monitoring port (which answers loopback callers).
 */
export default class ProxyStatus extends Command {
  static override summary = "Show each sidecar's xDS sync state, as istiod sees it.";
  static override description =
    'Asks istiod of the local mesh on --state-dir. Per proxy and xDS type: SYNCED (ACKed what istiod sent), NOT ' +
    "SENT, STALE (sent, not ACKed yet), ERROR (NACKed: the proxy's error follows the table), IGNORED (not " +
    'subscribed); DISCONNECTED for a sidecar istiod does not see. <workload> (frontend or frontend-0) narrows the ' +
    'list. Exit codes: 0 every proxy synced, 1 some proxy is not (or istiod did not answer), 2 usage error, 3 no ' +
    'local mesh running.';
  static override examples = [
    '<%= config.bin %> proxy-status',
    '<%= config.bin %> proxy-status backend -o json',
  ];
  static override args = {
    workload: Args.string({ description: 'workload or instance (frontend, frontend-0)' }),
  };
  static override flags = {
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory of the local mesh (env MESH_STATE_DIR)',
    }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<ProxyStatusResult> {
    const { args, flags } = await this.parse(ProxyStatus);
    let result: ProxyStatusResult;
    try {
      const { state, instances } = runningMesh(resolveStateDir(flags['state-dir']));
      const only = args.workload === undefined ? undefined : instancesNamed({ instances }, args.workload);
      const url = `http://127.0.0.1:${state.istiod.monitoringPort}/debug/syncz`;
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (response?.status !== 200)
        throw new DiagnoseError(
          `istiod did not answer ${url} (${response?.status ?? 'no answer'})`,
          EXIT.found,
        );
      result = proxyStatus((await response.json()) as SynczProxy[], instances, only);
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderProxyStatus(result, flags.output as OutputFormat));
    if (result.notSynced > 0) this.exit(EXIT.found);
    return result;
  }
}
