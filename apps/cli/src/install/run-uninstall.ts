import type { KubernetesObject } from '@kubernetes/client-node';
import { isNotFound } from '@mesh/kube';

import { readIfExists, refName, type ClusterConnection } from './cluster-connection.js';
import { kindOrder, listInstalled, uninstallSelector } from './installed-objects.js';
import { ReadinessTimeoutError } from './readiness.js';

/**
 * `meshctl uninstall`: finds what install labelled (all of it with `--purge`, else one revision's
 * istiod and gateways — the CRDs and base objects are shared by revisions, as in istioctl), deletes it
 * in the reverse of install's order with foreground propagation (a Deployment is gone only when its
 * pods are), and waits until every deleted object is gone, so the cluster is as before when it ends.
 */

/** Everything install made, or one revision's (`revision` as labels carry it: `default` for the default one). */
export type UninstallScope = { purge: true } | { purge: false; revision: string };

export interface FoundObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** What install labelled, within `istioNamespace` when given (objects of other namespaces, and those namespaces, are kept). */
export async function findInstalled(
  cluster: ClusterConnection,
  scope: UninstallScope,
  istioNamespace?: string,
): Promise<FoundObject[]> {
  const selector = scope.purge
    ? uninstallSelector({ purge: true })
    : uninstallSelector({ purge: false, revisionLabel: scope.revision });
  const objects: KubernetesObject[] = await listInstalled(cluster, selector);
  return objects
    .map((o) => ({
      apiVersion: o.apiVersion as string,
      kind: o.kind as string,
      name: o.metadata?.name ?? '',
      ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
    }))
    .filter(
      (o) =>
        istioNamespace === undefined ||
        (o.namespace === undefined
          ? o.kind !== 'Namespace' || o.name === istioNamespace
          : o.namespace === istioNamespace),
    )
    .sort((a, b) => kindOrder(b.kind) - kindOrder(a.kind));
}

const asRef = (o: FoundObject) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) },
});

export async function removeInstalled(
  cluster: ClusterConnection,
  objects: FoundObject[],
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<void> {
  for (const object of objects) {
    try {
      await cluster.objects.delete(asRef(object), undefined, undefined, undefined, undefined, 'Foreground');
    } catch (err) {
      if (!isNotFound(err)) throw cluster.error(err, `delete ${object.kind} ${refName(asRef(object))}`);
    }
  }
  const deadline = Date.now() + timeoutMs;
  let remaining = objects;
  let last = -1;
  for (;;) {
    const still: FoundObject[] = [];
    for (const object of remaining) if (await readIfExists(cluster, asRef(object))) still.push(object);
    remaining = still;
    if (remaining.length === 0) return;
    if (remaining.length !== last)
      progress(
        `- Waiting for ${remaining.length} objects to be removed: ${remaining.map((o) => `${o.kind}/${o.name}`).join(', ')}`,
      );
    last = remaining.length;
    if (Date.now() > deadline)
      throw new ReadinessTimeoutError(
        `timed out waiting for the removal of: ${remaining.map((o) => `${o.kind} ${refName(asRef(o))}`).join(', ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
