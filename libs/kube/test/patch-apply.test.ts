import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { statusOf, uniqueName } from './helpers.js';

/**
 * PATCH in its four media types: JSON patch, merge patch, strategic merge (served as a merge patch)
 * and server-side apply with field managers, through the typed API and the generic
 * `KubernetesObjectApi` (which resolves kinds through discovery).
 */
let server: TestApiServer;
let core: CoreV1Api;
let objects: KubernetesObjectApi;

beforeAll(async () => {
  server = await startTestApiServer();
  core = server.kubeConfig().makeApiClient(CoreV1Api);
  objects = KubernetesObjectApi.makeApiClient(server.kubeConfig());
});

afterAll(() => server.close());

async function createConfigMap(
  data: Record<string, string>,
  labels?: Record<string, string>,
): Promise<string> {
  const name = uniqueName('cm');
  await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name, ...(labels ? { labels } : {}) }, data },
  });
  return name;
}

function patchAs(strategy: string) {
  return setHeaderOptions('Content-Type', strategy);
}

describe('JSON, merge and strategic merge patches', () => {
  it('applies a JSON patch', async () => {
    const name = await createConfigMap({ a: '1', b: '2' });
    const patched = await core.patchNamespacedConfigMap(
      {
        name,
        namespace: 'default',
        body: [
          { op: 'replace', path: '/data/a', value: 'one' },
          { op: 'remove', path: '/data/b' },
          { op: 'add', path: '/metadata/labels', value: { patched: 'yes' } },
        ],
      },
      patchAs(PatchStrategy.JsonPatch),
    );
    expect(patched.data).toEqual({ a: 'one' });
    expect(patched.metadata?.labels).toEqual({ patched: 'yes' });
  });

  it('answers 422 when a JSON patch operation fails (a failed test op writes nothing)', async () => {
    const name = await createConfigMap({ a: '1' });
    const status = await statusOf(
      core.patchNamespacedConfigMap(
        {
          name,
          namespace: 'default',
          body: [
            { op: 'replace', path: '/data/a', value: 'changed' },
            { op: 'test', path: '/data/a', value: '1' },
          ],
        },
        patchAs(PatchStrategy.JsonPatch),
      ),
    );
    expect(status.code).toBe(422);
    expect((await core.readNamespacedConfigMap({ name, namespace: 'default' })).data).toEqual({ a: '1' });
  });

  it('applies a merge patch (null deletes a key) and treats strategic merge the same way', async () => {
    const name = await createConfigMap({ a: '1', b: '2' });
    const merged = await core.patchNamespacedConfigMap(
      { name, namespace: 'default', body: { data: { a: null, c: '3' } } },
      patchAs(PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ b: '2', c: '3' });
    const strategic = await core.patchNamespacedConfigMap(
      { name, namespace: 'default', body: { metadata: { annotations: { note: 'x' } } } },
      patchAs(PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.metadata?.annotations).toEqual({ note: 'x' });
    expect(strategic.data).toEqual({ b: '2', c: '3' });
  });

  it('honours a resourceVersion in a merge patch as a precondition', async () => {
    const name = await createConfigMap({ a: '1' });
    const status = await statusOf(
      core.patchNamespacedConfigMap(
        { name, namespace: 'default', body: { metadata: { resourceVersion: '1' }, data: { a: '2' } } },
        patchAs(PatchStrategy.MergePatch),
      ),
    );
    expect(status).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('answers 415 for a patch media type the server does not know', async () => {
    const name = await createConfigMap({ a: '1' });
    const status = await statusOf(
      core.patchNamespacedConfigMap(
        { name, namespace: 'default', body: { data: {} } },
        patchAs('application/x-unknown'),
      ),
    );
    expect(status).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
  });
});

describe('server-side apply', () => {
  function applied(name: string, data: Record<string, string>): V1ConfigMap {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data };
  }

  async function apply(body: V1ConfigMap, fieldManager: string, force?: boolean): Promise<V1ConfigMap> {
    return core.patchNamespacedConfigMap(
      { name: body.metadata!.name!, namespace: 'default', body, fieldManager, ...(force ? { force } : {}) },
      patchAs(PatchStrategy.ServerSideApply),
    );
  }

  it('creates the object when it does not exist and records the manager', async () => {
    const name = uniqueName('ssa');
    const created = await apply(applied(name, { a: '1' }), 'mesh-controller');
    expect(created.data).toEqual({ a: '1' });
    expect(created.metadata?.managedFields).toEqual([
      expect.objectContaining({
        manager: 'mesh-controller',
        operation: 'Apply',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} } },
      }),
    ]);
  });

  it('updates an existing object and removes fields the manager no longer applies', async () => {
    const name = uniqueName('ssa');
    await apply(applied(name, { a: '1', b: '2' }), 'mesh-controller');
    const updated = await apply(applied(name, { a: '10' }), 'mesh-controller');
    expect(updated.data).toEqual({ a: '10' });
  });

  it('keeps fields another manager set, and reports a conflict on a field another manager owns', async () => {
    const name = uniqueName('ssa');
    await apply(applied(name, { a: '1' }), 'first');
    await apply(applied(name, { b: '2' }), 'second');
    expect((await core.readNamespacedConfigMap({ name, namespace: 'default' })).data).toEqual({
      a: '1',
      b: '2',
    });
    const status = await statusOf(apply(applied(name, { a: 'mine' }), 'second'));
    expect(status).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(status.message).toBe('Apply failed with 1 conflict: conflict with "first" using v1: .data.a');
    const forced = await apply(applied(name, { a: 'mine', b: '2' }), 'second', true);
    expect(forced.data).toEqual({ a: 'mine', b: '2' });
    const owners = forced.metadata!.managedFields!.map((entry) => [entry.manager, entry.fieldsV1]);
    expect(owners).toEqual([['second', { 'f:data': { 'f:a': {}, 'f:b': {} } }]]);
  });

  it('reports a conflict with a field an update (not an apply) changed', async () => {
    const name = uniqueName('ssa');
    await apply(applied(name, { a: '1' }), 'applier');
    await core.patchNamespacedConfigMap(
      { name, namespace: 'default', body: { data: { a: 'edited' } }, fieldManager: 'kubectl-edit' },
      patchAs(PatchStrategy.MergePatch),
    );
    const status = await statusOf(apply(applied(name, { a: '2' }), 'applier'));
    expect(status.message).toContain('conflict with "kubectl-edit"');
  });

  it('answers 422 when no fieldManager is given', async () => {
    const name = uniqueName('ssa');
    const status = await statusOf(
      core.patchNamespacedConfigMap(
        { name, namespace: 'default', body: applied(name, {}) },
        patchAs(PatchStrategy.ServerSideApply),
      ),
    );
    expect(status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(status.message).toContain('fieldManager: Required value');
  });

  it('works through the generic KubernetesObjectApi, which finds resources by discovery', async () => {
    const name = uniqueName('generic');
    const spec: KubernetesObject & { data: Record<string, string> } = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default' },
      data: { x: '1' },
    };
    await objects.patch(
      spec,
      undefined,
      undefined,
      'generic-applier',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    const read = (await objects.read({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default' },
    })) as V1ConfigMap;
    expect(read.data).toEqual({ x: '1' });
    await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });
    expect((await statusOf(core.readNamespacedConfigMap({ name, namespace: 'default' }))).code).toBe(404);
  });
});
