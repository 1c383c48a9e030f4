import { AppsV1Api, CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { statusOf, uniqueName } from './helpers.js';

/**
 * CRUD through `@kubernetes/client-node`'s typed API against the test API server: what a
 * controller sees for creates, reads, optimistic-concurrency updates, deletes and their failures.
 */
let server: TestApiServer;
let core: CoreV1Api;

beforeAll(async () => {
  server = await startTestApiServer();
  core = server.kubeConfig().makeApiClient(CoreV1Api);
});

afterAll(() => server.close());

function configMap(name: string, data: Record<string, string> = { a: '1' }): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

describe('namespaces', () => {
  it('starts with default, kube-system, kube-public and kube-node-lease, each Active with a default ServiceAccount', async () => {
    const list = await core.listNamespace();
    expect(list.items.map((ns) => ns.metadata?.name)).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    expect(list.items.every((ns) => ns.status?.phase === 'Active')).toBe(true);
    const account = await core.readNamespacedServiceAccount({ name: 'default', namespace: 'kube-system' });
    expect(account.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('labels a new namespace with its name and deleting it deletes its contents', async () => {
    const name = uniqueName('ns');
    const created = await core.createNamespace({ body: { metadata: { name } } });
    expect(created.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': name });
    await core.createNamespacedConfigMap({ namespace: name, body: configMap('inside') });
    await core.deleteNamespace({ name });
    expect((await statusOf(core.readNamespace({ name }))).code).toBe(404);
    const leftovers = await core.listConfigMapForAllNamespaces({
      fieldSelector: `metadata.namespace=${name}`,
    });
    expect(leftovers.items).toEqual([]);
  });
});

describe('system namespaces', () => {
  it('refuse to be deleted, as kube-apiserver refuses', async () => {
    const status = await statusOf(core.deleteNamespace({ name: 'kube-system' }));
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'namespaces "kube-system" is forbidden: this namespace may not be deleted',
    });
  });
});

describe('create, read, update, delete', () => {
  it('creates an object with server-set metadata and reads it back', async () => {
    const before = Number(server.resourceVersion);
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: configMap('settings'),
    });
    expect(created.metadata).toMatchObject({ name: 'settings', namespace: 'default' });
    expect(created.metadata?.generation).toBeUndefined();
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(before);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'default' });
    expect(read.data).toEqual({ a: '1' });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('answers 409 AlreadyExists for a second create with the same name', async () => {
    const name = uniqueName('dup');
    await core.createNamespacedConfigMap({ namespace: 'default', body: configMap(name) });
    const status = await statusOf(
      core.createNamespacedConfigMap({ namespace: 'default', body: configMap(name) }),
    );
    expect(status).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: `configmaps "${name}" already exists`,
    });
    expect(status.details).toEqual({ name, kind: 'configmaps' });
  });

  it('generates a name from generateName', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { generateName: 'generated-' }, data: {} },
    });
    expect(created.metadata?.name).toMatch(/^generated-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('updates with the current resourceVersion and refuses a stale one with 409 Conflict', async () => {
    const name = uniqueName('cas');
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: configMap(name) });
    const updated = await core.replaceNamespacedConfigMap({
      name,
      namespace: 'default',
      body: { ...created, data: { a: '2' } },
    });
    expect(updated.data).toEqual({ a: '2' });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    const stale = await statusOf(
      core.replaceNamespacedConfigMap({ name, namespace: 'default', body: { ...created, data: { a: '3' } } }),
    );
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(stale.message).toBe(
      `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  });

  it('does not write (or bump resourceVersion) for an update that changes nothing', async () => {
    const name = uniqueName('noop');
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: configMap(name) });
    const again = await core.replaceNamespacedConfigMap({ name, namespace: 'default', body: created });
    expect(again.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('bumps generation on spec changes only', async () => {
    const apps = server.kubeConfig().makeApiClient(AppsV1Api);
    const name = uniqueName('web');
    const template = {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: 'nginx:1' }] },
    };
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: { metadata: { name }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template } },
    });
    expect(created.metadata?.generation).toBe(1);
    const relabelled = await apps.replaceNamespacedDeployment({
      name,
      namespace: 'default',
      body: { ...created, metadata: { ...created.metadata, labels: { team: 'a' } } },
    });
    expect(relabelled.metadata?.generation).toBe(1);
    const scaled = await apps.replaceNamespacedDeployment({
      name,
      namespace: 'default',
      body: { ...relabelled, spec: { ...relabelled.spec!, replicas: 3 } },
    });
    expect(scaled.metadata?.generation).toBe(2);
  });

  it('deletes, then answers 404 NotFound', async () => {
    const name = uniqueName('gone');
    await core.createNamespacedConfigMap({ namespace: 'default', body: configMap(name) });
    const deleted = await core.deleteNamespacedConfigMap({ name, namespace: 'default' });
    expect(deleted).toMatchObject({ status: 'Success', details: { name, kind: 'configmaps' } });
    const status = await statusOf(core.readNamespacedConfigMap({ name, namespace: 'default' }));
    expect(status).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: `configmaps "${name}" not found`,
    });
    expect((await statusOf(core.deleteNamespacedConfigMap({ name, namespace: 'default' }))).code).toBe(404);
  });

  it('keeps an object with finalizers until the last finalizer is removed', async () => {
    const name = uniqueName('final');
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name, finalizers: ['example.com/cleanup'] } },
    });
    await core.deleteNamespacedConfigMap({ name, namespace: 'default' });
    const terminating = await core.readNamespacedConfigMap({ name, namespace: 'default' });
    expect(terminating.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await core.replaceNamespacedConfigMap({
      name,
      namespace: 'default',
      body: { ...terminating, metadata: { ...terminating.metadata, finalizers: [] } },
    });
    expect((await statusOf(core.readNamespacedConfigMap({ name, namespace: 'default' }))).code).toBe(404);
  });

  it('allocates a cluster IP for a Service and keeps it across updates', async () => {
    const name = uniqueName('svc');
    const created = await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80 }] } },
    });
    expect(created.spec?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(created.spec?.ports?.[0]).toMatchObject({ protocol: 'TCP', targetPort: 80 });
    const updated = await core.replaceNamespacedService({
      name,
      namespace: 'default',
      body: {
        ...created,
        spec: { ...created.spec, clusterIP: undefined, clusterIPs: undefined, selector: { app: 'x' } },
      },
    });
    expect(updated.spec?.clusterIP).toBe(created.spec?.clusterIP);
  });

  it('resets Pod status on create (status is a subresource) and starts it Pending', async () => {
    const pod = await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: uniqueName('pod') },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
        status: { phase: 'Running' },
      },
    });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.serviceAccountName).toBe('default');
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('Always');
  });

  it('converts Secret stringData to base64 data', async () => {
    const secret = await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: uniqueName('secret') }, stringData: { password: 'hunter2' } },
    });
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
  });

  it('does not store anything for dryRun=All', async () => {
    const name = uniqueName('dry');
    const result = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: configMap(name),
      dryRun: 'All',
    });
    expect(result.metadata?.name).toBe(name);
    expect((await statusOf(core.readNamespacedConfigMap({ name, namespace: 'default' }))).code).toBe(404);
  });
});

describe('failures as Kubernetes reports them', () => {
  it('answers 404 for a create in a namespace that does not exist', async () => {
    const status = await statusOf(
      core.createNamespacedConfigMap({ namespace: 'nowhere', body: configMap('x') }),
    );
    expect(status).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "nowhere" not found',
    });
  });

  it('answers 422 Invalid with the field path for a missing name', async () => {
    const status = await statusOf(
      core.createNamespacedConfigMap({ namespace: 'default', body: { data: {} } }),
    );
    expect(status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(status.message).toBe(
      'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    );
    expect(status.details?.causes).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ]);
  });

  it('answers 422 Invalid for an invalid name and for a kind that does not match the URL', async () => {
    const badName = await statusOf(
      core.createNamespacedConfigMap({ namespace: 'default', body: configMap('Not_Valid') }),
    );
    expect(badName.code).toBe(422);
    expect(badName.details?.causes?.[0]?.field).toBe('metadata.name');
    const wrongKind = await statusOf(
      core.createNamespacedConfigMap({ namespace: 'default', body: { ...configMap('x'), kind: 'Secret' } }),
    );
    expect(wrongKind).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(wrongKind.details?.causes?.[0]).toMatchObject({ field: 'kind' });
  });
});
