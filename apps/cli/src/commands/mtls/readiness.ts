import { Command, Flags } from '@oclif/core';

import { DiagnoseError, EXIT, meshFromLocal } from '../../diagnose/diagnose-mesh.js';
import { renderMtlsReadiness, type MtlsReadinessResult } from '../../diagnose/mtls-readiness.js';
import { mtlsReadiness } from '../../diagnose/mtls-readiness-result.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../diagnose/render-output.js';
import { parseDuration } from '../../local/duration.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/**
 * `meshctl mtls readiness`: before switching a workload to STRICT, who would it refuse? For every
 * instance of the local mesh whose effective inbound mode is PERMISSIVE, the plaintext callers its own
 * sidecar recorded in the window, named after the mesh instance at their address or "outside the
 * mesh", and the identities of its mutual TLS callers.
 */
export default class MtlsReadiness extends Command {
  static override summary =
    'Say who still sends plaintext to PERMISSIVE workloads, so whom STRICT would refuse.';
  static override description =
    'Reads the local mesh running on --state-dir: each sidecar instance whose effective PeerAuthentication mode ' +
    'is PERMISSIVE (workload-wide or on a port), and the inbound connections its proxy recorded since --since ' +
    "(the admin's /inbound_connections): plaintext callers (address, port, connections, last seen, the mesh " +
    'instance at that address or "outside the mesh") and the verified identities of mTLS callers. The verdict ' +
    'per instance is "ready for STRICT" or "STRICT would refuse N caller(s)". A proxy keeps its last 200 ' +
    'connections and counts for up to 1000 distinct callers. Exit codes: 0 every workload is ready, 1 STRICT ' +
    'would refuse a caller, 2 usage error, 3 no local mesh running.';
  static override examples = [
    '<%= config.bin %> mtls readiness',
    '<%= config.bin %> mtls readiness -n default --since 1h -o json',
  ];
  static override flags = {
    namespace: Flags.string({ char: 'n', description: 'only the workloads of this namespace' }),
    since: Flags.string({
      default: '10m',
      description: 'the window: callers seen in the last 30s, 10m, 1h...',
    }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory of the local mesh (env MESH_STATE_DIR)',
    }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<MtlsReadinessResult> {
    const { flags } = await this.parse(MtlsReadiness);
    const seconds = parseDuration(flags.since);
    if (seconds === undefined)
      this.error(`--since: "${flags.since}" is not a duration like 30s, 10m or 1h`, { exit: EXIT.usage });
    let result: MtlsReadinessResult;
    try {
      const mesh = await meshFromLocal(resolveStateDir(flags['state-dir']));
      result = await mtlsReadiness(mesh, {
        since: new Date(Date.now() - seconds * 1000),
        ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
      });
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderMtlsReadiness(result, flags.output as OutputFormat));
    if (result.refusals > 0) this.exit(EXIT.found);
    return result;
  }
}
