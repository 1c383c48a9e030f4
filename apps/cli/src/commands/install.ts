import { Command, Flags } from '@oclif/core';

import { existingControlPlane } from '../install/apply-install.js';
import { ClusterAccessError, connectToCluster } from '../install/cluster-connection.js';
import { clusterFlags, confirm, renderForCommand, valueFlags } from '../install/install-flags.js';
import { ReadinessTimeoutError } from '../install/readiness.js';
import { renderComponentDone, renderInstallSummary } from '../install/render-install.js';
import { runInstall, type InstallResult } from '../install/run-install.js';

/**
 * `meshctl install`: istioctl install with this project's charts. Renders charts/base, charts/istiod
 * and (default and demo profiles) charts/gateway with the real `helm template`, applies them with
 * server-side apply (field manager meshctl) component by component, waits for each to be ready, and
 * prints what it did. Asks first unless -y (and refuses without -y when it cannot ask). A second
 * install of a revision whose istiod objects exist is refused unless --force (which, unlike
 * istioctl's "proceed despite validation errors", applies over it and takes over conflicting fields).
 * Exit codes: 0 installed, 1 refused or failed (cluster unreachable, apply error, not ready in time),
 * 2 usage error (flags, values, charts, helm).
 */
export default class Install extends Command {
  static override aliases = ['apply'];
  static override summary = 'Install the mesh control plane into a Kubernetes cluster.';
  static override description =
    'Renders the charts for a profile (default, demo, minimal, remote, empty) with helm, applies them with ' +
    'server-side apply and waits until they are ready. Exit codes: 0 installed, 1 refused or failed, 2 usage error.';
  static override examples = [
    '<%= config.bin %> install --profile default -y',
    '<%= config.bin %> install --profile demo --set pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true -y',
    '<%= config.bin %> install -f values.yaml --revision canary',
  ];

  static override flags = {
    ...valueFlags,
    ...clusterFlags,
    'skip-confirmation': Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
    force: Flags.boolean({ description: 'install over an existing control plane of the same revision' }),
    'readiness-timeout': Flags.integer({
      default: 300,
      min: 1,
      description: 'seconds to wait for what was applied to be ready',
    }),
    output: Flags.string({
      char: 'o',
      options: ['text', 'json'],
      default: 'text',
      description: 'output format',
    }),
  };

  async run(): Promise<InstallResult> {
    const { flags } = await this.parse(Install);
    const { install, manifests } = renderForCommand(this, flags);
    const revision = install.revision || 'default';
    try {
      const cluster = connectToCluster(flags);
      const existing = await existingControlPlane(cluster, manifests, install.istioNamespace);
      if (existing.length > 0 && !flags.force)
        this.error(
          `control plane revision "${revision}" is already installed (${existing.join(', ')}): ` +
            `use --force to install over it, or "meshctl uninstall --revision ${revision}" first`,
          { exit: 1 },
        );
      if (!flags['skip-confirmation']) {
        const question = `This will install the mesh ${this.config.version} profile "${install.profile}" (revision "${revision}") into the cluster at ${cluster.server}. Proceed?`;
        if (!process.stdin.isTTY)
          this.error(`${question} — cannot ask: standard input is not a terminal; pass -y to proceed`, {
            exit: 2,
          });
        if (!(await confirm(question))) this.error('cancelled: nothing was installed', { exit: 1 });
      }
      const json = flags.output === 'json';
      const result = await runInstall(cluster, install, manifests, {
        force: flags.force,
        readinessTimeoutMs: flags['readiness-timeout'] * 1000,
        progress: (line) => this.logToStderr(line),
        done: (component, objects) => {
          if (!json) this.log(renderComponentDone(component, objects));
        },
      });
      if (json) this.log(JSON.stringify(result, null, 2));
      else this.log(renderInstallSummary(result));
      return result;
    } catch (err) {
      if (err instanceof ClusterAccessError || err instanceof ReadinessTimeoutError)
        this.error(`install failed: ${err.message}`, { exit: 1 });
      throw err;
    }
  }
}
