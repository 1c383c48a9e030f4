import { Args, Command, Flags } from '@oclif/core';

import { describeResult, type DescribeResult } from '../../diagnose/describe-result.js';
import { DiagnoseError, meshFromFiles, meshFromLocal } from '../../diagnose/diagnose-mesh.js';
import { renderDescribe } from '../../diagnose/render-describe.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../diagnose/render-output.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/**
 * `meshctl describe pod <workload|name[.namespace]>`: istioctl's `x describe pod` over the config
 * istiod generates from (YAML files or the running local mesh), as tls-check and authz check read it.
 */
export default class DescribePod extends Command {
  static override summary = 'Describe the Istio config that applies to a workload.';
  static override description =
    'Reads YAML files (-f, offline) or the local mesh running on --state-dir. The workload is a workload, ' +
    'one of its instances (frontend, frontend-0) or a pod as name.namespace. Prints the services that select ' +
    'it, the DestinationRule of each (the subsets it is in, its TLS mode) and the VirtualServices routing to it, ' +
    'the mTLS mode its sidecar enforces (Effective/Applied PeerAuthentication) and the AuthorizationPolicies ' +
    'in its RBAC filters. Exit codes: 0 described, 2 usage error, unknown workload or invalid input, ' +
    '3 no local mesh running (and no -f).';
  static override examples = [
    '<%= config.bin %> describe pod frontend',
    '<%= config.bin %> describe pod reviews-v1-0.default -f samples/bookinfo/ -o yaml',
  ];
  static override args = {
    pod: Args.string({ required: true, description: 'workload, instance, or name.namespace' }),
  };
  static override flags = {
    filename: Flags.string({ char: 'f', multiple: true, description: 'YAML file or directory (offline)' }),
    namespace: Flags.string({ char: 'n', description: 'namespace of the workload' }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory of the local mesh (env MESH_STATE_DIR)',
    }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<DescribeResult> {
    const { args, flags } = await this.parse(DescribePod);
    let result: DescribeResult;
    try {
      const mesh = flags.filename?.length
        ? await meshFromFiles(flags.filename)
        : await meshFromLocal(resolveStateDir(flags['state-dir']));
      result = describeResult(mesh, args.pod, flags.namespace);
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderDescribe(result, flags.output as OutputFormat));
    return result;
  }
}
