import { Command, Flags } from '@oclif/core';

import { ClusterAccessError, connectToCluster } from '../install/cluster-connection.js';
import { clusterFlags } from '../install/install-flags.js';
import { revisionValue } from '../install/install-values.js';
import { atLeast, renderPrecheckText, runPrecheck, type PrecheckReport } from '../install/precheck-checks.js';

/**
 * `meshctl precheck`: istioctl `x precheck` before an install — Kubernetes version (IST0142),
 * permission to create what install creates (IST0141, SelfSubjectAccessReview), control planes
 * already installed. Exit codes: 0 no issue of Warning or above, 1 issues found or the cluster
 * unreachable, 2 usage error.
 */
export default class Precheck extends Command {
  static override summary = 'Check that the cluster is ready for meshctl install.';
  static override description =
    'Checks the Kubernetes version, your permission to create every kind install creates, and control planes ' +
    'already installed. Exit codes: 0 safe to install, 1 issues found or no cluster reachable, 2 usage error.';
  static override examples = [
    '<%= config.bin %> precheck',
    '<%= config.bin %> precheck --revision canary -o json',
  ];

  static override flags = {
    ...clusterFlags,
    revision: Flags.string({
      char: 'r',
      default: 'default',
      description: 'the revision you mean to install',
    }),
    istioNamespace: Flags.string({
      char: 'i',
      default: 'istio-system',
      description: 'namespace of the control plane',
    }),
    output: Flags.string({
      char: 'o',
      options: ['log', 'json', 'yaml'],
      default: 'log',
      description: 'output format',
    }),
  };

  async run(): Promise<PrecheckReport> {
    const { flags } = await this.parse(Precheck);
    let report: PrecheckReport;
    try {
      report = await runPrecheck(connectToCluster(flags), {
        namespace: flags.istioNamespace,
        revision: revisionValue(flags.revision),
      });
    } catch (err) {
      if (err instanceof ClusterAccessError) this.error(`precheck failed: ${err.message}`, { exit: 1 });
      throw err;
    }
    if (flags.output === 'json') this.log(JSON.stringify(report.messages, null, 2));
    else if (flags.output === 'yaml') this.log((await import('yaml')).stringify(report.messages).trimEnd());
    else this.log(renderPrecheckText(report));
    if (report.messages.some((m) => atLeast(m.level, 'Warning'))) this.exit(1);
    return report;
  }
}
