import { describe, expect, it } from 'vitest';

import type { KubeObject } from './kube-object.js';
import { fromFieldsV1, leafPaths, recordUpdate, toFieldsV1 } from './managed-fields.js';
import { applyToExisting } from './server-side-apply.js';

const object = (data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'd', uid: 'u', resourceVersion: '1', ...(labels ? { labels } : {}) },
  data,
});

describe('field ownership', () => {
  it('owns leaves of content and of labels, never server metadata', () => {
    expect(leafPaths(object({ a: '1' }, { app: 'x' }))).toEqual([
      ['metadata', 'labels', 'app'],
      ['data', 'a'],
    ]);
  });

  it('round-trips paths through the FieldsV1 encoding', () => {
    const paths = [
      ['data', 'a'],
      ['metadata', 'labels', 'app'],
      ['spec', 'list'],
    ];
    const encoded = toFieldsV1(paths);
    expect(encoded).toEqual({
      'f:data': { 'f:a': {} },
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:list': {} },
    });
    expect(fromFieldsV1(encoded)).toEqual(paths);
  });

  it('moves a field to the manager that changed it in an update', () => {
    const created = recordUpdate([], 'creator', 'v1', undefined, object({ a: '1', b: '2' }));
    const updated = recordUpdate(
      created,
      'editor',
      'v1',
      object({ a: '1', b: '2' }),
      object({ a: '1', b: '3' }),
    );
    expect(updated.map((e) => [e.manager, e.fieldsV1])).toEqual([
      ['creator', { 'f:data': { 'f:a': {} } }],
      ['editor', { 'f:data': { 'f:b': {} } }],
    ]);
  });

  it('lets an applier keep a field another manager set to the same value (shared ownership)', () => {
    const live = object({ a: '1' });
    live.metadata.managedFields = recordUpdate([], 'creator', 'v1', undefined, live);
    const result = applyToExisting(live, object({ a: '1' }), 'applier', 'v1', false);
    expect(result.managedFields.map((e) => e.manager)).toEqual(['creator', 'applier']);
    expect(result.object.data).toEqual({ a: '1' });
  });
});
