import { apiStatusOf } from '@mesh/kube';

import { ClusterAccessError, readIfExists, refName, type ClusterConnection } from './cluster-connection.js';
import type { Component } from './install-values.js';
import { INSTALLED_KINDS, kindOrder, withInstallLabels } from './installed-objects.js';
import type { ComponentManifest, KubeObject } from './render-manifests.js';
import { serverSideApplyRequest } from './server-side-apply.js';

/**
 * Applies rendered components with server-side apply (field manager `meshctl`), one component after
 * the other in istioctl's order (Base, Pilot, gateways — a gateway's pod needs the injector), each
 * object with install's labels. `force` takes over fields another manager owns (kubectl's
 * `--force-conflicts`); without it such a conflict fails with the API server's message.
 */

export const FIELD_MANAGER = 'meshctl';

export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  component: Component;
  /** False when the object existed before and was updated. */
  created: boolean;
}

const isNamespaced = (kind: string) => INSTALLED_KINDS.find((k) => k.kind === kind)?.namespaced ?? true;

/** The component's objects, namespaced ones in `namespace` when the chart names none, in apply order. */
export function objectsToApply(manifest: ComponentManifest, namespace: string): KubeObject[] {
  return manifest.objects
    .map((object) => {
      const labelled = withInstallLabels(object, manifest.component);
      if (isNamespaced(object.kind) && !object.metadata.namespace) labelled.metadata.namespace = namespace;
      return labelled;
    })
    .sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind));
}

/** Creates the Istio namespace, labelled as install's, unless it exists; true when it was created. */
export async function ensureNamespace(cluster: ClusterConnection, namespace: string): Promise<boolean> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
  if (await readIfExists(cluster, ref)) return false;
  await serverSideApply(cluster, withInstallLabels(ref, 'Base'), false);
  return true;
}

async function serverSideApply(cluster: ClusterConnection, object: KubeObject, force: boolean) {
  try {
    await serverSideApplyRequest(cluster, object, FIELD_MANAGER, force);
  } catch (err) {
    const status = apiStatusOf(err);
    const hint =
      status?.reason === 'Conflict'
        ? ' (another field manager owns these fields; --force takes them over)'
        : '';
    const failure = cluster.error(err, `apply ${object.kind} ${refName(object)}`);
    throw new ClusterAccessError(failure.message + hint);
  }
}

export async function applyComponent(
  cluster: ClusterConnection,
  manifest: ComponentManifest,
  namespace: string,
  force: boolean,
): Promise<AppliedObject[]> {
  const applied: AppliedObject[] = [];
  for (const object of objectsToApply(manifest, namespace)) {
    const existed = (await readIfExists(cluster, object)) !== undefined;
    await serverSideApply(cluster, object, force);
    applied.push({
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      component: manifest.component,
      created: !existed,
    });
  }
  return applied;
}

/**
 * The Pilot objects of this revision that already exist (by name, whoever made them: meshctl or
 * helm): a second install of the revision is refused unless forced.
 */
export async function existingControlPlane(
  cluster: ClusterConnection,
  manifests: ComponentManifest[],
  namespace: string,
): Promise<string[]> {
  const existing: string[] = [];
  for (const manifest of manifests.filter((m) => m.component === 'Pilot'))
    for (const object of objectsToApply(manifest, namespace))
      if (
        ['Deployment', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].includes(object.kind)
      )
        if (await readIfExists(cluster, object)) existing.push(`${object.kind} ${refName(object)}`);
  return existing;
}
