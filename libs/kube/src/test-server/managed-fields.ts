import { jsonEqual } from '../object-patches.js';
import { isPlainObject, kubeTimestamp, type KubeObject, type ManagedFieldsEntry } from './kube-object.js';

/**
 * Field ownership (`metadata.managedFields`), the bookkeeping server-side apply decides with: which
 * manager set which field, by `Apply` or by `Update`. A field is a path to a leaf (a scalar, a list,
 * or an empty object); lists are owned as a whole (atomic) rather than per element, which is the
 * one simplification against kube-apiserver's structured-merge-diff (no `k:`/`v:` list keys).
 * Entries are stored in the real `FieldsV1` encoding (`{"f:spec":{"f:replicas":{}}}`).
 */
export type FieldPath = readonly string[];

const SERVER_METADATA_OWNED = ['labels', 'annotations'] as const;
const ATOMIC_METADATA_OWNED = ['finalizers', 'ownerReferences'] as const;

/** The paths a manager sets by writing `object` (server-owned metadata excluded). */
export function leafPaths(object: KubeObject): FieldPath[] {
  const paths: FieldPath[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    } else if (value !== undefined) paths.push(path);
  };
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...content } = object;
  for (const field of SERVER_METADATA_OWNED) {
    for (const key of Object.keys(isPlainObject(metadata?.[field]) ? metadata[field] : {})) {
      paths.push(['metadata', field, key]);
    }
  }
  for (const field of ATOMIC_METADATA_OWNED)
    if (metadata?.[field] !== undefined) paths.push(['metadata', field]);
  for (const [key, value] of Object.entries(content)) walk(value, [key]);
  return paths;
}

export function valueAt(object: unknown, path: FieldPath): unknown {
  let current = object;
  for (const step of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[step];
  }
  return current;
}

/** `.spec.replicas`, the way apply conflicts name a field. */
export function formatFieldPath(path: FieldPath): string {
  return path.map((step) => `.${step}`).join('');
}

/** True when one path is the other or contains it. */
export function overlaps(a: FieldPath, b: FieldPath): boolean {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toFieldsV1(paths: readonly FieldPath[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of paths) {
    let node = root;
    for (const step of path) node = (node[`f:${step}`] ??= {}) as Record<string, unknown>;
  }
  return root;
}

export function fromFieldsV1(fields: unknown): FieldPath[] {
  const paths: FieldPath[] = [];
  const walk = (node: unknown, path: string[]) => {
    const children = Object.keys(isPlainObject(node) ? node : {}).filter((key) => key.startsWith('f:'));
    if (children.length === 0 && path.length > 0) paths.push(path);
    for (const key of children) walk((node as Record<string, unknown>)[key], [...path, key.slice(2)]);
  };
  walk(fields, []);
  return paths;
}

export function entryPaths(entry: ManagedFieldsEntry): FieldPath[] {
  return fromFieldsV1(entry.fieldsV1);
}

export function managedEntry(
  manager: string,
  operation: ManagedFieldsEntry['operation'],
  apiVersion: string,
  paths: readonly FieldPath[],
): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion,
    time: kubeTimestamp(),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(paths),
  };
}

/** Replaces an entry's paths, dropping the entry when nothing is left. */
export function withPaths(
  entry: ManagedFieldsEntry,
  paths: readonly FieldPath[],
): ManagedFieldsEntry | undefined {
  return paths.length === 0 ? undefined : { ...entry, fieldsV1: toFieldsV1(paths) };
}

/**
 * Ownership after a non-apply write (create, update, patch) by `manager`: it takes every field it
 * changed, away from whoever owned it before; fields that disappeared are owned by nobody.
 */
export function recordUpdate(
  entries: readonly ManagedFieldsEntry[],
  manager: string,
  apiVersion: string,
  before: KubeObject | undefined,
  after: KubeObject,
): ManagedFieldsEntry[] {
  const changed = leafPaths(after).filter(
    (path) => !before || !jsonEqual(valueAt(before, path), valueAt(after, path)),
  );
  const stillThere = (path: FieldPath) => valueAt(after, path) !== undefined;
  const result: ManagedFieldsEntry[] = [];
  let mine: FieldPath[] = [];
  for (const entry of entries) {
    const kept = entryPaths(entry).filter(
      (path) => stillThere(path) && !changed.some((c) => overlaps(c, path)),
    );
    if (entry.manager === manager && entry.operation === 'Update') mine = kept;
    else {
      const updated = withPaths(entry, kept);
      if (updated) result.push(updated);
    }
  }
  const paths = [...mine, ...changed];
  if (paths.length > 0) result.push(managedEntry(manager, 'Update', apiVersion, paths));
  return result;
}

/** The manager a request writes as: `?fieldManager=`, else the User-Agent's program name, as the server defaults it. */
export function defaultFieldManager(userAgent: string | undefined): string {
  const program = (userAgent ?? '').split('/')[0]?.trim();
  return program ? program.slice(0, 128) : 'unknown';
}
