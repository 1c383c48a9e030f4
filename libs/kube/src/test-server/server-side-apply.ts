import { jsonEqual } from '../object-patches.js';
import { apiError, type ApiError } from './api-errors.js';
import { clone, isPlainObject, type KubeObject, type ManagedFieldsEntry } from './kube-object.js';
import {
  entryPaths,
  formatFieldPath,
  leafPaths,
  managedEntry,
  overlaps,
  valueAt,
  withPaths,
  type FieldPath,
} from './managed-fields.js';

/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`) on an existing object: the applied
 * configuration is the manager's full intent. Fields it applied before and no longer applies are
 * removed (unless someone else also owns them); fields it applies that another manager owns with a
 * different value are conflicts (409, unless `force`), and with `force` it takes them over. Maps
 * merge key by key; lists are atomic (see managed-fields.ts).
 */
export interface ApplyResult {
  readonly object: KubeObject;
  readonly managedFields: ManagedFieldsEntry[];
}

interface Conflict {
  readonly manager: string;
  readonly apiVersion: string;
  readonly path: FieldPath;
}

function conflictError(conflicts: readonly Conflict[]): ApiError {
  const [first] = conflicts;
  const message =
    first && conflicts.length === 1
      ? `Apply failed with 1 conflict: conflict with "${first.manager}" using ${first.apiVersion}: ${formatFieldPath(first.path)}`
      : `Apply failed with ${conflicts.length} conflicts: ${conflicts
          .map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${formatFieldPath(c.path)}`)
          .join('\n')}`;
  return apiError('Conflict', message, {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}" using ${c.apiVersion}`,
      field: formatFieldPath(c.path),
    })),
  });
}

function deletePath(object: Record<string, unknown>, path: FieldPath): void {
  const parent = valueAt(object, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isPlainObject(parent) && last !== undefined) delete parent[last];
}

/** Deep merge where objects merge and everything else (lists included) replaces. */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) mergeInto(existing, value);
    else target[key] = clone(value);
  }
}

/** The metadata an applied configuration may set; the rest of metadata belongs to the server. */
function appliedMetadata(applied: KubeObject): Record<string, unknown> {
  const { labels, annotations, finalizers, ownerReferences } = applied.metadata;
  return Object.fromEntries(
    Object.entries({ labels, annotations, finalizers, ownerReferences }).filter(
      ([, value]) => value !== undefined,
    ),
  );
}

export function applyToExisting(
  live: KubeObject,
  applied: KubeObject,
  manager: string,
  apiVersion: string,
  force: boolean,
): ApplyResult {
  const entries = live.metadata.managedFields ?? [];
  const appliedPaths = leafPaths(applied);
  const conflicts: Conflict[] = [];
  for (const entry of entries) {
    if (entry.manager === manager) continue;
    for (const owned of entryPaths(entry)) {
      for (const path of appliedPaths) {
        if (overlaps(owned, path) && !jsonEqual(valueAt(live, path), valueAt(applied, path))) {
          conflicts.push({ manager: entry.manager, apiVersion: entry.apiVersion, path });
        }
      }
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);

  const ownedByOthers = entries.filter((e) => e.manager !== manager).flatMap(entryPaths);
  const previouslyApplied = entries
    .filter((e) => e.manager === manager && e.operation === 'Apply')
    .flatMap(entryPaths);
  const object = clone(live);
  for (const path of previouslyApplied) {
    const stillApplied = appliedPaths.some((p) => overlaps(p, path));
    const sharedWithOthers = ownedByOthers.some((p) => overlaps(p, path));
    if (!stillApplied && !sharedWithOthers) deletePath(object, path);
  }
  const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...content } = applied;
  mergeInto(object, content);
  mergeInto(object.metadata, appliedMetadata(applied));

  const managedFields: ManagedFieldsEntry[] = [];
  for (const entry of entries) {
    if (entry.manager === manager && entry.operation === 'Apply') continue;
    const kept = entryPaths(entry).filter(
      (path) =>
        entry.manager === manager ||
        !conflicts.some((c) => c.manager === entry.manager && overlaps(c.path, path)),
    );
    const updated = withPaths(entry, kept);
    if (updated) managedFields.push(updated);
  }
  managedFields.push(managedEntry(manager, 'Apply', apiVersion, appliedPaths));
  return { object, managedFields };
}

/** Ownership of an object created by apply: the manager owns everything it applied. */
export function applyCreateManagedFields(
  applied: KubeObject,
  manager: string,
  apiVersion: string,
): ManagedFieldsEntry[] {
  return [managedEntry(manager, 'Apply', apiVersion, leafPaths(applied))];
}
