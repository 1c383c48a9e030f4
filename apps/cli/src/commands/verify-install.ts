import { Command, Flags } from '@oclif/core';

import { ClusterAccessError, connectToCluster } from '../install/cluster-connection.js';
import { clusterFlags, renderForCommand, valueFlags } from '../install/install-flags.js';
import {
  renderVerifyText,
  verified,
  verifyInstalled,
  type VerifyReport,
} from '../install/verify-installed.js';

/**
 * `meshctl verify-install [install's flags]`: checks that what `meshctl install` with the same flags
 * creates is present and ready (istioctl removed its verify-install in 1.24; this is its old
 * contract). Exit codes: 0 all present and ready, 1 something missing or not ready, or no cluster
 * reachable, 2 usage error.
 */
export default class VerifyInstall extends Command {
  static override summary = 'Check that what meshctl install creates is present and ready.';
  static override description =
    'Renders the charts as install would (same flags) and checks each object in the cluster: present, and for ' +
    'Deployments available, for CRDs established. Exit codes: 0 verified, 1 missing or not ready, 2 usage error.';
  static override examples = [
    '<%= config.bin %> verify-install',
    '<%= config.bin %> verify-install --profile demo',
  ];

  static override flags = {
    ...valueFlags,
    ...clusterFlags,
    output: Flags.string({
      char: 'o',
      options: ['text', 'json'],
      default: 'text',
      description: 'output format',
    }),
  };

  async run(): Promise<VerifyReport> {
    const { flags } = await this.parse(VerifyInstall);
    const rendered = renderForCommand(this, flags);
    let report: VerifyReport;
    try {
      report = await verifyInstalled(connectToCluster(flags), rendered.install, rendered.manifests);
    } catch (err) {
      if (err instanceof ClusterAccessError) this.error(`verify-install failed: ${err.message}`, { exit: 1 });
      throw err;
    }
    this.log(flags.output === 'json' ? JSON.stringify(report, null, 2) : renderVerifyText(report));
    if (!verified(report)) this.exit(1);
    return report;
  }
}
