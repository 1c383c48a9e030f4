import { Command, Flags } from '@oclif/core';

import { ClusterAccessError, connectToCluster } from '../install/cluster-connection.js';
import { clusterFlags, confirm, istioNamespaceFlag } from '../install/install-flags.js';
import { revisionValue } from '../install/install-values.js';
import { ReadinessTimeoutError } from '../install/readiness.js';
import { renderUninstallPlan, renderUninstallText, type UninstallResult } from '../install/render-install.js';
import { findInstalled, removeInstalled, type UninstallScope } from '../install/run-uninstall.js';

/**
 * `meshctl uninstall --revision R | --purge`: removes what `meshctl install` created, found by the
 * labels install put on it (istioctl's `install.operator.istio.io/owning-resource`,
 * `operator.istio.io/component`, `istio.io/rev`). A revision's istiod and gateways only, or with
 * --purge everything, the CRDs and the Istio namespace (when install created it) included — so that
 * the cluster is as it was before the install. With -i/-n NS, only what install put in NS (and the
 * cluster-scoped objects) is removed. Lists what it will remove and asks unless -y; waits
 * until it is all gone. Exit codes: 0 removed (or nothing to remove), 1 refused or failed, 2 usage.
 */
export default class Uninstall extends Command {
  static override summary = 'Remove a control plane that meshctl install created.';
  static override description =
    "With --revision, removes that revision's istiod and gateways; with --purge, everything install created, " +
    'CRDs included. Exit codes: 0 removed, 1 refused or failed, 2 usage error.';
  static override examples = [
    '<%= config.bin %> uninstall --purge -y',
    '<%= config.bin %> uninstall --revision canary',
    '<%= config.bin %> uninstall --purge -n mesh-system -y',
  ];

  static override flags = {
    ...clusterFlags,
    istioNamespace: istioNamespaceFlag(),
    revision: Flags.string({
      char: 'r',
      description: 'the control plane revision to remove ("default" for the default one)',
    }),
    purge: Flags.boolean({
      description: 'remove everything install created, shared CRDs included',
      exclusive: ['revision'],
    }),
    'skip-confirmation': Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
    'dry-run': Flags.boolean({ description: 'list what would be removed, remove nothing' }),
    timeout: Flags.integer({
      default: 300,
      min: 1,
      description: 'seconds to wait for the removal to finish',
    }),
    output: Flags.string({
      char: 'o',
      options: ['text', 'json'],
      default: 'text',
      description: 'output format',
    }),
  };

  async run(): Promise<UninstallResult> {
    const { flags } = await this.parse(Uninstall);
    if (!flags.purge && flags.revision === undefined)
      this.error('say what to remove: --revision R (one control plane) or --purge (everything)', { exit: 2 });
    // The revision as labels carry it: istio.io/rev=default for the default one.
    const scope: UninstallScope = flags.purge
      ? { purge: true }
      : { purge: false, revision: revisionValue(flags.revision ?? '') || 'default' };
    try {
      const cluster = connectToCluster(flags);
      const found = await findInstalled(cluster, scope, flags.istioNamespace);
      const result: UninstallResult = {
        scope,
        removed: found.map(({ kind, name, namespace }) => ({
          kind,
          name,
          ...(namespace ? { namespace } : {}),
        })),
        dryRun: flags['dry-run'],
      };
      const json = flags.output === 'json';
      if (flags['dry-run'] || found.length === 0) {
        this.log(json ? JSON.stringify(result, null, 2) : renderUninstallPlan(result));
        return result;
      }
      if (!flags['skip-confirmation']) {
        this.logToStderr(renderUninstallPlan(result));
        if (!process.stdin.isTTY)
          this.error('cannot ask for confirmation: standard input is not a terminal; pass -y to proceed', {
            exit: 2,
          });
        if (!(await confirm(`Remove these ${found.length} objects from ${cluster.server}?`)))
          this.error('cancelled: nothing was removed', { exit: 1 });
      }
      await removeInstalled(cluster, found, flags.timeout * 1000, (line) => this.logToStderr(line));
      this.log(json ? JSON.stringify(result, null, 2) : renderUninstallText(result));
      return result;
    } catch (err) {
      if (err instanceof ClusterAccessError || err instanceof ReadinessTimeoutError)
        this.error(`uninstall failed: ${err.message}`, { exit: 1 });
      throw err;
    }
  }
}
