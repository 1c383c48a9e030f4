import { Args, Command, Flags } from '@oclif/core';

import { clusterFlags } from '../diagnose/cluster-objects.js';
import { proxySource } from '../diagnose/proxy-source.js';
import { DiagnoseError, EXIT, instancesNamed } from '../diagnose/diagnose-mesh.js';
import { istiodDebugGet, istiodFlags } from '../diagnose/istiod-debug.js';
import {
  proxyStatus,
  renderProxyStatus,
  type ProxyStatusResult,
  type SynczProxy,
} from '../diagnose/proxy-status.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../diagnose/render-output.js';
import { stateDirFlagDefault } from '../local/state-dir.js';

/**
 * `meshctl proxy-status [<workload>]` (`istioctl proxy-status -v 1`) on the local mesh or a cluster:
 * istiod's own record of what it sent each sidecar per xDS type and what the sidecar ACKed or NACKed,
 * asked of its `/debug/syncz` on the monitoring port (istiod-debug.ts).
 */
export default class ProxyStatus extends Command {
  static override summary = "Show each sidecar's xDS sync state, as istiod sees it.";
  static override description =
    'Asks istiod of the local mesh on --state-dir, or, on the cluster of --kubeconfig/--context, the istiod at ' +
    '--istiod (its monitoring address; it answers loopback callers, or --istiod-token-file). Per proxy and xDS type: SYNCED (ACKed what istiod sent), NOT ' +
    "SENT, STALE (sent, not ACKed yet), ERROR (NACKed: the proxy's error follows the table), IGNORED (not " +
    'subscribed); DISCONNECTED for a sidecar istiod does not see. <workload> (frontend or frontend-0) narrows the ' +
    'list (on a cluster: a pod or its app label). Exit codes: 0 every proxy synced, 1 some ' +
    'proxy is not (or istiod did not answer), 2 usage error, 3 no local mesh running or the cluster cannot be read.';
  static override examples = [
    '<%= config.bin %> proxy-status',
    '<%= config.bin %> proxy-status backend -o json',
    '<%= config.bin %> proxy-status --kubeconfig ~/.kube/config --istiod http://127.0.0.1:15014',
  ];
  static override args = {
    workload: Args.string({ description: 'workload or instance (frontend, frontend-0)' }),
  };
  static override flags = {
    ...clusterFlags,
    ...istiodFlags,
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
      const { instances, istiod } = await proxySource(flags);
      const only = args.workload === undefined ? undefined : instancesNamed({ instances }, args.workload);
      const syncz = (await istiodDebugGet(istiod, '/debug/syncz')) as SynczProxy[];
      result = proxyStatus(syncz, instances, only);
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderProxyStatus(result, flags.output as OutputFormat));
    if (result.notSynced > 0) this.exit(EXIT.found);
    return result;
  }
}
