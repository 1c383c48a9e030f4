import type { V1PodSpec } from '@kubernetes/client-node';

import { jsonEqual, type JsonPatchOperation } from '../object-patches.js';

/**
 * The pod as the injector sees it (an AdmissionReview's object, or the template of a workload in
 * `kube-inject`), and the JSON Patch (RFC 6902) that turns the original into the injected pod — what
 * the webhook answers. The injector changes only the fields below, so the patch replaces each of them
 * whole: simple, and exact whatever the original lists held.
 */

export interface PodMetadata {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion?: string; kind?: string; name?: string; controller?: boolean }[];
  [field: string]: unknown;
}

export interface PodLike {
  apiVersion?: string;
  kind?: string;
  metadata?: PodMetadata;
  spec: V1PodSpec;
  [field: string]: unknown;
}

const PATCHED_FIELDS: readonly (readonly ['metadata' | 'spec', string])[] = [
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['spec', 'initContainers'],
  ['spec', 'containers'],
  ['spec', 'volumes'],
];

type Fields = Record<string, unknown>;

/** The operations that turn `before` into `after` for the fields injection changes. */
export function injectionPatch(before: PodLike, after: PodLike): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  if (before.metadata === undefined && after.metadata !== undefined)
    return [{ op: 'add', path: '/metadata', value: after.metadata }, ...specPatch(before, after)];
  for (const [section, field] of PATCHED_FIELDS) {
    const from = (before[section] as Fields | undefined)?.[field];
    const to = (after[section] as Fields | undefined)?.[field];
    if (to === undefined || jsonEqual(from, to)) continue;
    ops.push({ op: from === undefined ? 'add' : 'replace', path: `/${section}/${field}`, value: to });
  }
  return ops;
}

function specPatch(before: PodLike, after: PodLike): JsonPatchOperation[] {
  return injectionPatch({ ...before, metadata: {} }, { ...after, metadata: {} });
}
