import type { PeerAuthentication } from '@mesh/policy';
import { Command, Flags } from '@oclif/core';

import { DiagnoseError, EXIT, meshFromFiles, meshFromLocal } from '../../diagnose/diagnose-mesh.js';
import { renderMtlsReadiness, type MtlsReadinessResult } from '../../diagnose/mtls-readiness.js';
import { mtlsReadiness } from '../../diagnose/mtls-readiness-result.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../diagnose/render-output.js';
import { parseDuration } from '../../local/duration.js';
import { resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';

/** The PeerAuthentications of `file`, validated as `meshctl validate` reads them. */
async function proposedPolicies(file: string): Promise<PeerAuthentication[]> {
  const policies = (await meshFromFiles([file])).snapshot.peerAuthentications;
  if (policies.length === 0) throw new DiagnoseError(`--policy: ${file} holds no PeerAuthentication`);
  return policies;
}

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
    'connections and counts for up to 1000 distinct callers. --policy FILE applies the PeerAuthentications of FILE ' +
    'over the running ones (same name and namespace: replaced) and lists the recorded plaintext callers they ' +
    'would refuse instead (a blast radius before applying). Exit codes: 0 every workload is ready (no caller ' +
    'refused), 1 a caller would be refused, 2 usage error or invalid FILE, 3 no local mesh running.';
  static override examples = [
    '<%= config.bin %> mtls readiness',
    '<%= config.bin %> mtls readiness -n default --since 1h -o json',
    '<%= config.bin %> mtls readiness --policy backend-strict.yaml',
  ];
  static override flags = {
    namespace: Flags.string({ char: 'n', description: 'only the workloads of this namespace' }),
    policy: Flags.string({
      description: 'a proposed PeerAuthentication (YAML): which callers would it refuse?',
    }),
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
      const proposal = flags.policy === undefined ? undefined : await proposedPolicies(flags.policy);
      const mesh = await meshFromLocal(resolveStateDir(flags['state-dir']));
      result = await mtlsReadiness(mesh, {
        ...(proposal === undefined ? {} : { proposal }),
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
