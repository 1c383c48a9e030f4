import { Command } from '@oclif/core';

import { renderForCommand, valueFlags } from '../../install/install-flags.js';
import type { ComponentManifest } from '../../install/render-manifests.js';

/**
 * `meshctl manifest generate`: what `meshctl install` with the same flags would apply, printed as
 * `helm template` prints it (component by component: base, istiod, gateway), without a cluster.
 * Install adds only its tracking labels to these objects. Exit codes: 0 printed, 2 usage error
 * (flags, values, charts, helm).
 */
export default class ManifestGenerate extends Command {
  static override summary = 'Print the manifests meshctl install would apply, without a cluster.';
  static override description =
    'Renders the charts for the profile and values with helm template and prints the YAML. Exit codes: 0 printed, 2 usage error.';
  static override examples = [
    '<%= config.bin %> manifest generate --profile demo',
    '<%= config.bin %> manifest generate --set pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true | kubectl apply --dry-run=server -f -',
  ];

  static override flags = { ...valueFlags };

  async run(): Promise<ComponentManifest[]> {
    const { flags } = await this.parse(ManifestGenerate);
    const { manifests } = renderForCommand(this, flags);
    process.stdout.write(manifests.map((m) => m.yaml).join(''));
    return manifests;
  }
}
