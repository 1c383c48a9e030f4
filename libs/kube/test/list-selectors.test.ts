import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { statusOf } from './helpers.js';

/**
 * Lists: label selectors in every operator form, field selectors, pagination with `limit` and
 * `continue`, and reading a collection at an exact past resourceVersion.
 */
let server: TestApiServer;
let core: CoreV1Api;
const NAMESPACE = 'selectors';

const PODS: Record<string, Record<string, string>> = {
  web1: { app: 'web', tier: 'front', env: 'prod' },
  web2: { app: 'web', tier: 'front', env: 'dev' },
  db: { app: 'db', tier: 'back', env: 'prod' },
  batch: { app: 'batch', legacy: 'true' },
};

beforeAll(async () => {
  server = await startTestApiServer();
  core = server.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  for (const [name, labels] of Object.entries(PODS)) {
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name, labels },
        spec: {
          nodeName: name === 'db' ? 'node-b' : 'node-a',
          containers: [{ name: 'app', image: 'app:1' }],
        },
      },
    });
  }
  await core.patchNamespacedPodStatus({
    name: 'web1',
    namespace: NAMESPACE,
    body: [{ op: 'replace', path: '/status', value: { phase: 'Running', podIP: '10.0.0.1' } }],
  });
});

afterAll(() => server.close());

async function podNames(labelSelector?: string, fieldSelector?: string): Promise<string[]> {
  const list = await core.listNamespacedPod({
    namespace: NAMESPACE,
    ...(labelSelector !== undefined ? { labelSelector } : {}),
    ...(fieldSelector !== undefined ? { fieldSelector } : {}),
  });
  return list.items.map((pod) => pod.metadata!.name!);
}

describe('label selectors', () => {
  it.each([
    ['app=web', ['web1', 'web2']],
    ['app==web', ['web1', 'web2']],
    ['app!=web', ['batch', 'db']],
    ['env in (prod,staging)', ['db', 'web1']],
    ['env notin (prod)', ['batch', 'web2']],
    ['tier', ['db', 'web1', 'web2']],
    ['!tier', ['batch']],
    ['app=web,env=prod', ['web1']],
    ['tier=front,env notin (dev),!legacy', ['web1']],
    ['app=nothing', []],
  ])('%s selects %j', async (selector, expected) => {
    expect(await podNames(selector)).toEqual(expected);
  });

  it('rejects a malformed selector with 400 BadRequest', async () => {
    const status = await statusOf(podNames('app in (web'));
    expect(status).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(status.message).toContain('unable to parse requirement');
  });
});

describe('field selectors', () => {
  it.each([
    ['metadata.name=db', ['db']],
    ['metadata.name!=db', ['batch', 'web1', 'web2']],
    ['spec.nodeName=node-b', ['db']],
    ['status.phase=Running', ['web1']],
    ['status.phase=Pending,spec.nodeName=node-a', ['batch', 'web2']],
  ])('%s selects %j', async (selector, expected) => {
    expect(await podNames(undefined, selector)).toEqual(expected);
  });

  it('filters by namespace across all namespaces', async () => {
    const list = await core.listPodForAllNamespaces({ fieldSelector: `metadata.namespace=${NAMESPACE}` });
    expect(list.items).toHaveLength(4);
  });

  it('answers 400 for a field the kind does not support', async () => {
    const status = await statusOf(podNames(undefined, 'spec.color=blue'));
    expect(status).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(status.message).toContain('"spec.color" is not a known field selector');
  });
});

describe('list metadata and pagination', () => {
  it('names the list kind and carries the current resourceVersion', async () => {
    const list = await core.listNamespacedPod({ namespace: NAMESPACE });
    expect(list.kind).toBe('PodList');
    expect(list.apiVersion).toBe('v1');
    expect(list.metadata?.resourceVersion).toBe(server.resourceVersion);
  });

  it('pages with limit and continue, every page at the first page revision', async () => {
    const first = await core.listNamespacedPod({ namespace: NAMESPACE, limit: 3 });
    expect(first.items.map((p) => p.metadata?.name)).toEqual(['batch', 'db', 'web1']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    expect(first.metadata?._continue).toBeTruthy();
    await core.createNamespacedConfigMap({
      namespace: NAMESPACE,
      body: { metadata: { name: 'unrelated-write' } },
    });
    const second = await core.listNamespacedPod({
      namespace: NAMESPACE,
      limit: 3,
      _continue: first.metadata!._continue!,
    });
    expect(second.items.map((p) => p.metadata?.name)).toEqual(['web2']);
    expect(second.metadata?._continue).toBeFalsy();
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it('answers 410 Expired for a continue token from before a compaction', async () => {
    const first = await core.listNamespacedPod({ namespace: NAMESPACE, limit: 1 });
    server.compact();
    const status = await statusOf(
      core.listNamespacedPod({ namespace: NAMESPACE, limit: 1, _continue: first.metadata!._continue! }),
    );
    expect(status).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('reads the collection as it was at an exact resourceVersion', async () => {
    const before = await core.listNamespacedConfigMap({ namespace: NAMESPACE });
    await core.createNamespacedConfigMap({ namespace: NAMESPACE, body: { metadata: { name: 'later' } } });
    await core.deleteNamespacedConfigMap({ name: 'unrelated-write', namespace: NAMESPACE });
    const then = await core.listNamespacedConfigMap({
      namespace: NAMESPACE,
      resourceVersion: before.metadata!.resourceVersion!,
      resourceVersionMatch: 'Exact',
    });
    expect(then.items.map((c) => c.metadata?.name)).toEqual(before.items.map((c) => c.metadata?.name));
    expect(then.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    const now = await core.listNamespacedConfigMap({ namespace: NAMESPACE });
    expect(now.items.map((c) => c.metadata?.name)).toContain('later');
  });

  it('answers 504 for a resourceVersion the server has not reached', async () => {
    const status = await statusOf(
      core.listNamespacedPod({
        namespace: NAMESPACE,
        resourceVersion: String(Number(server.resourceVersion) + 100),
      }),
    );
    expect(status).toMatchObject({ code: 504, reason: 'Timeout' });
  });
});
