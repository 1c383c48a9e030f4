import { objectsToApply } from './apply-install.js';
import { readIfExists, type ClusterConnection } from './cluster-connection.js';
import type { InstallValues } from './install-values.js';
import { COMPONENT_LABEL, OWNING_RESOURCE_LABEL } from './installed-objects.js';
import { readinessOf, type Observed } from './readiness.js';
import type { ComponentManifest } from './render-manifests.js';

/**
 * `meshctl verify-install`: every object `meshctl install` with the same flags would create is in the
 * cluster and ready (the readiness install waits for). An object present without install's labels
 * (made by helm or kubectl) counts, and says so.
 */

export interface VerifiedObject {
  kind: string;
  name: string;
  namespace?: string;
  component: string;
  ready: boolean;
  detail: string;
}

export interface VerifyReport {
  profile: string;
  revision: string;
  objects: VerifiedObject[];
}

export async function verifyInstalled(
  cluster: ClusterConnection,
  install: InstallValues,
  manifests: ComponentManifest[],
): Promise<VerifyReport> {
  const objects: VerifiedObject[] = [];
  for (const manifest of manifests)
    for (const wanted of objectsToApply(manifest, install.istioNamespace)) {
      const found = await readIfExists<Observed>(cluster, wanted);
      const state = readinessOf(wanted.kind, found);
      const labels = found?.metadata?.labels ?? {};
      const foreign = found !== undefined && !(OWNING_RESOURCE_LABEL in labels && COMPONENT_LABEL in labels);
      objects.push({
        kind: wanted.kind,
        name: wanted.metadata.name,
        ...(wanted.metadata.namespace ? { namespace: wanted.metadata.namespace } : {}),
        component: manifest.component,
        ready: state.ready,
        detail: state.detail + (foreign ? ' (not created by meshctl install)' : ''),
      });
    }
  return { profile: install.profile, revision: install.revision || 'default', objects };
}

export const verified = (report: VerifyReport) => report.objects.every((o) => o.ready);

export function renderVerifyText(report: VerifyReport): string {
  const lines = report.objects.map(
    (o) => `${o.ready ? '✔' : '✘'} ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${o.detail}`,
  );
  const bad = report.objects.filter((o) => !o.ready).length;
  lines.push(
    bad === 0
      ? `✔ Profile "${report.profile}", revision "${report.revision}": all ${report.objects.length} objects installed and ready`
      : `✘ Profile "${report.profile}", revision "${report.revision}": ${bad} of ${report.objects.length} objects missing or not ready`,
  );
  return lines.join('\n');
}
