import { applyComponent, ensureNamespace, type AppliedObject } from './apply-install.js';
import type { ClusterConnection } from './cluster-connection.js';
import type { Component, InstallValues } from './install-values.js';
import { waitForReady } from './readiness.js';
import type { ComponentManifest } from './render-manifests.js';

/**
 * `meshctl install` once confirmed: the Istio namespace, then each component applied and waited for
 * before the next (a gateway's pod needs istiod's injector to be there), all within one deadline.
 */

/** istioctl's names for the components in its progress lines. */
export const COMPONENT_TITLES: Record<Component, string> = {
  Base: 'Istio core',
  Pilot: 'Istiod',
  IngressGateways: 'Ingress gateways',
};

export interface InstallResult {
  profile: string;
  /** The revision as labels carry it (`default` for the default revision). */
  revision: string;
  namespace: string;
  namespaceCreated: boolean;
  components: { component: Component; objects: AppliedObject[] }[];
}

export interface InstallRunOptions {
  force: boolean;
  readinessTimeoutMs: number;
  /** Progress while applying and waiting (the command shows it on stderr). */
  progress: (line: string) => void;
  /** A component is installed and ready (the command prints istioctl's ✔ line). */
  done: (component: Component, objects: AppliedObject[]) => void;
}

export async function runInstall(
  cluster: ClusterConnection,
  install: InstallValues,
  manifests: ComponentManifest[],
  options: InstallRunOptions,
): Promise<InstallResult> {
  const deadline = Date.now() + options.readinessTimeoutMs;
  const namespace = install.istioNamespace;
  const result: InstallResult = {
    profile: install.profile,
    revision: install.revision || 'default',
    namespace,
    namespaceCreated: manifests.length > 0 ? await ensureNamespace(cluster, namespace) : false,
    components: [],
  };
  for (const manifest of manifests) {
    const title = COMPONENT_TITLES[manifest.component];
    options.progress(`- Processing resources for ${title}.`);
    const objects = await applyComponent(cluster, manifest, namespace, options.force);
    await waitForReady(cluster, objects, deadline, (waiting) =>
      options.progress(`- Processing resources for ${title}. Waiting for ${waiting.join(', ')}`),
    );
    result.components.push({ component: manifest.component, objects });
    options.done(manifest.component, objects);
  }
  return result;
}
