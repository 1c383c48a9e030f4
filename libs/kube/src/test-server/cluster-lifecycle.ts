import { randomUUID } from 'node:crypto';

import { forbidden } from './api-errors.js';
import { STORAGE } from './builtin-resources.js';
import {
  defaultCrd,
  establishedCrdStatus,
  resourceTypesOfCrd,
  validateCrd,
} from './custom-resource-definitions.js';
import { kubeTimestamp, nameOf, type KubeObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import type { ResourceCatalog } from './resource-types.js';
import type { ResourceHooks } from './write-pipeline.js';

/**
 * What controllers do in a real cluster after certain writes, done here synchronously in the same
 * request so tests need not wait: a new Namespace gets its `default` ServiceAccount; deleting a
 * Namespace deletes everything in it (at once — no `Terminating` phase), except that `default`,
 * `kube-system` and `kube-public` cannot be deleted; a CRD's resources start or
 * stop being served, and deleting a CRD deletes its objects. Objects created or deleted this way go
 * straight to storage (watchers see them; admission webhooks are not called for them).
 */
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export function namespaceLifecycleHooks(store: ObjectStore): ResourceHooks {
  return {
    beforeDelete(namespace) {
      if (UNDELETABLE_NAMESPACES.has(nameOf(namespace))) {
        const why = 'this namespace may not be deleted';
        throw forbidden({ group: '', resource: 'namespaces' }, nameOf(namespace), why);
      }
    },
    afterCreate(namespace) {
      createDefaultServiceAccount(store, nameOf(namespace));
    },
    afterDelete(namespace) {
      for (const storage of store.storages()) {
        for (const object of store.list(storage, namespace.metadata.name)) {
          store.delete(storage, namespace.metadata.name, nameOf(object));
        }
      }
    },
  };
}

export function createDefaultServiceAccount(store: ObjectStore, namespace: string): void {
  if (store.get(STORAGE.serviceAccounts, namespace, 'default')) return;
  store.create(STORAGE.serviceAccounts, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace, uid: randomUUID(), creationTimestamp: kubeTimestamp() },
  });
}

/** Stores `name` directly (server bootstrap: `default`, `kube-system`, ...). */
export function bootstrapNamespace(store: ObjectStore, name: string): void {
  store.create(STORAGE.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: kubeTimestamp(),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  createDefaultServiceAccount(store, name);
}

function storageOfCrd(crd: KubeObject): string {
  const spec = (crd['spec'] ?? {}) as { group?: string; names?: { plural?: string } };
  return `${spec.group}/${spec.names?.plural}`;
}

export function crdLifecycleHooks(store: ObjectStore, catalog: ResourceCatalog): ResourceHooks {
  const serve = (crd: KubeObject) => {
    catalog.removeStorage(storageOfCrd(crd));
    catalog.add(resourceTypesOfCrd(crd));
  };
  return {
    default: defaultCrd,
    validate: (crd) => validateCrd(crd),
    prepareCreate(crd) {
      crd['status'] = establishedCrdStatus(crd);
    },
    prepareUpdate(next, current) {
      next['status'] = establishedCrdStatus(next, current);
    },
    afterCreate: serve,
    afterUpdate(crd, previous) {
      if (storageOfCrd(previous) !== storageOfCrd(crd)) catalog.removeStorage(storageOfCrd(previous));
      serve(crd);
    },
    afterDelete(crd) {
      const storage = storageOfCrd(crd);
      catalog.removeStorage(storage);
      for (const object of store.list(storage))
        store.delete(storage, object.metadata.namespace, nameOf(object));
    },
  };
}
