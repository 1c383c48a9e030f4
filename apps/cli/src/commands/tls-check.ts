import { Args, Command, Flags } from '@oclif/core';

import { DiagnoseError, EXIT } from '../diagnose/diagnose-mesh.js';
import { loadDiagnoseMesh, MESH_SOURCE_HELP, meshSourceFlags } from '../diagnose/mesh-source.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../diagnose/render-output.js';
import { renderTlsCheck, type TlsCheckResult } from '../diagnose/render-tls-check.js';
import { tlsCheckResult } from '../diagnose/tls-check-result.js';

/**
 * `meshctl tls-check <workload> [<service>]`: istioctl's `authn tls-check` (removed in Istio 1.6),
 * restored over the config istiod generates: for every service and port the workload's sidecar can
 * call, the server's effective PeerAuthentication mode and the policy that sets it, the TLS the
 * client's cluster originates (DestinationRule, port-level setting, or auto-mTLS), and OK or CONFLICT
 * with the reason; on a running local mesh, what the sidecar did on its last connections.
 */
export default class TlsCheck extends Command {
  static override summary = "Check that a workload's client TLS matches its servers' mTLS modes.";
  static override description =
    `${MESH_SOURCE_HELP} ` +
    '<workload> is a workload or one of ' +
    'its instances (frontend, frontend-0); <service> narrows the check to one service (backend, backend.default, ' +
    'the FQDN, optionally :PORT). STATUS is OK, CONFLICT (the reason follows the table) or NO ENDPOINTS. On a ' +
    "running mesh the LIVE column shows the sidecar's last connection to each service: mTLS with the server " +
    'identity it verified, plaintext, or the failure. A workload is checked on each of its instances (the table ' +
    'is its first; DISAGREES lines say where another differs). Exit codes: 0 no conflict, 1 conflicts found or ' +
    'instances that disagree, 2 usage error ' +
    'or invalid input, 3 no local mesh running (and no -f), or the cluster cannot be read.';
  static override examples = [
    '<%= config.bin %> tls-check frontend',
    '<%= config.bin %> tls-check frontend-0 backend:8080 -o json',
    '<%= config.bin %> tls-check productpage -f samples/bookinfo/ -n default',
  ];
  static override args = {
    workload: Args.string({ required: true, description: 'workload or instance (frontend, frontend-0)' }),
    service: Args.string({ description: 'service to check (name, name.namespace or FQDN, optional :PORT)' }),
  };
  static override flags = {
    ...meshSourceFlags,
    namespace: Flags.string({ char: 'n', description: 'namespace of the workload' }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<TlsCheckResult> {
    const { args, flags } = await this.parse(TlsCheck);
    let result: TlsCheckResult;
    try {
      const mesh = await loadDiagnoseMesh(flags);
      result = await tlsCheckResult(mesh, args.workload, {
        ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
        ...(args.service === undefined ? {} : { service: args.service }),
      });
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderTlsCheck(result, flags.output as OutputFormat));
    if (result.conflicts > 0 || result.disagreements !== undefined) this.exit(EXIT.found);
    return result;
  }
}
