import { Args, Command, Flags } from '@oclif/core';

import { describeResult, type DescribeResult } from '../../diagnose/describe-result.js';
import { DiagnoseError } from '../../diagnose/diagnose-mesh.js';
import { loadDiagnoseMesh, MESH_SOURCE_HELP, meshSourceFlags } from '../../diagnose/mesh-source.js';
import { renderDescribe } from '../../diagnose/render-describe.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../diagnose/render-output.js';

/**
 * `meshctl describe pod <workload|name[.namespace]>`: istioctl's `x describe pod` over the config
 * istiod generates from (YAML files or the running local mesh), as tls-check and authz check read it.
 */
export default class DescribePod extends Command {
  static override summary = 'Describe the Istio config that applies to a workload.';
  static override description =
    `${MESH_SOURCE_HELP} ` +
    'The workload is a workload, ' +
    'one of its instances (frontend, frontend-0) or a pod as name.namespace. Prints the services that select ' +
    'it, the DestinationRule of each (the subsets it is in, its TLS mode) and the VirtualServices routing to it, ' +
    'the mTLS mode its sidecar enforces (Effective/Applied PeerAuthentication) and the AuthorizationPolicies ' +
    'in its RBAC filters. Exit codes: 0 described, 2 usage error, unknown workload or invalid input, ' +
    '3 no local mesh running (and no -f), or the cluster cannot be read.';
  static override examples = [
    '<%= config.bin %> describe pod frontend',
    '<%= config.bin %> describe pod reviews-v1-0.default -f samples/bookinfo/ -o yaml',
  ];
  static override args = {
    pod: Args.string({ required: true, description: 'workload, instance, or name.namespace' }),
  };
  static override flags = {
    ...meshSourceFlags,
    namespace: Flags.string({ char: 'n', description: 'namespace of the workload' }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<DescribeResult> {
    const { args, flags } = await this.parse(DescribePod);
    let result: DescribeResult;
    try {
      const mesh = await loadDiagnoseMesh(flags);
      result = describeResult(mesh, args.pod, flags.namespace);
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderDescribe(result, flags.output as OutputFormat));
    return result;
  }
}
