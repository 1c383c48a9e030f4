/**
 * Objects as the test API server stores them: plain JSON, whatever their kind. The server knows the
 * metadata every object has; everything else is opaque (validated only by CRD schemas).
 */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Record<string, unknown>[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Storage key of an object within its resource: `<namespace>/<name>` (namespace empty if cluster-scoped). */
export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** The name of a stored object (always set once an object is stored). */
export function nameOf(object: KubeObject): string {
  return object.metadata.name ?? '';
}

/** `objectKey` of a stored object. */
export function keyOf(object: KubeObject): string {
  return objectKey(object.metadata.namespace, nameOf(object));
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 3339 with second precision, as Kubernetes serialises `metav1.Time`. */
export function kubeTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The object without `metadata` (and without `status` when `ignoreStatus`): what "spec changed" compares. */
export function contentOf(object: KubeObject, ignoreStatus: boolean): Record<string, unknown> {
  const { metadata: _metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  if (ignoreStatus) delete rest['status'];
  return rest;
}

/** Reads a dotted path (`spec.nodeName`) from an object; `undefined` when any step is missing. */
export function valueAtPath(object: unknown, path: string): unknown {
  let current = object;
  for (const step of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[step];
  }
  return current;
}
