import { Command, Flags } from '@oclif/core';
import { stringify } from 'yaml';

import { ClusterAccessError, connectToCluster } from '../install/cluster-connection.js';
import { clusterFlags } from '../install/install-flags.js';
import { remoteVersions, renderVersionsShort, type MeshVersions } from '../install/mesh-versions.js';

/**
 * `meshctl version [--remote=false] [-o short|json|yaml]`: the client's version, and with a cluster
 * (the default, `--remote`) the control plane's and the data plane's. Exit codes: 0 printed, 1 no
 * cluster reachable (the client version is still printed), 2 usage error.
 */
export default class Version extends Command {
  static override summary = 'Print the client, control plane and data plane versions.';
  static override description =
    'The control plane version is the image tag of each istiod Deployment, the data plane version that of the ' +
    'istio-proxy container of each injected pod. Exit codes: 0 printed, 1 no cluster reachable, 2 usage error.';
  static override examples = [
    '<%= config.bin %> version',
    '<%= config.bin %> version --remote=false -o json',
  ];

  static override flags = {
    ...clusterFlags,
    // A value flag, so that istioctl's spelling --remote=false works.
    remote: Flags.string({
      options: ['true', 'false'],
      default: 'true',
      description: 'also ask the cluster (--remote=false: the client version only)',
    }),
    output: Flags.string({
      char: 'o',
      options: ['short', 'json', 'yaml'],
      default: 'short',
      description: 'output format',
    }),
  };

  async run(): Promise<MeshVersions> {
    const { flags } = await this.parse(Version);
    const versions: MeshVersions = { clientVersion: { version: this.config.version } };
    let failure: string | undefined;
    if (flags.remote === 'true') {
      try {
        Object.assign(versions, await remoteVersions(connectToCluster(flags)));
      } catch (err) {
        if (!(err instanceof ClusterAccessError)) throw err;
        failure = err.message;
      }
    }
    if (flags.output === 'json') this.log(JSON.stringify(versions, null, 2));
    else if (flags.output === 'yaml') this.log(stringify(versions).trimEnd());
    else this.log(renderVersionsShort(versions));
    if (failure) this.error(`control plane and data plane versions unknown: ${failure}`, { exit: 1 });
    return versions;
  }
}
