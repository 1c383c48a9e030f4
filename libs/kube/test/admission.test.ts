import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type V1MutatingWebhook,
  type V1ValidatingWebhook,
} from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { statusOf, uniqueName } from './helpers.js';
import { startWebhook, type TestWebhook } from './webhook-server.js';

/**
 * Dynamic admission against real HTTPS webhooks: mutation by JSONPatch (the sidecar-injection
 * path), denial by a validating webhook, rule and selector matching, `failurePolicy` when the
 * webhook is down, timeouts, and Service references verified against the Service's DNS name.
 */
let server: TestApiServer;
let core: CoreV1Api;
let admission: AdmissionregistrationV1Api;
const webhooks: TestWebhook[] = [];
let resolvedServicePort = 0;

beforeAll(async () => {
  server = await startTestApiServer({
    resolveWebhookService: ({ namespace, name }) =>
      namespace === 'istio-system' && name === 'istiod'
        ? `https://127.0.0.1:${resolvedServicePort}`
        : undefined,
  });
  core = server.kubeConfig().makeApiClient(CoreV1Api);
  admission = server.kubeConfig().makeApiClient(AdmissionregistrationV1Api);
});

afterEach(async () => {
  for (const config of (await admission.listMutatingWebhookConfiguration()).items) {
    await admission.deleteMutatingWebhookConfiguration({ name: config.metadata!.name! });
  }
  for (const config of (await admission.listValidatingWebhookConfiguration()).items) {
    await admission.deleteValidatingWebhookConfiguration({ name: config.metadata!.name! });
  }
  await Promise.all(webhooks.splice(0).map((webhook) => webhook.close()));
});

afterAll(() => server.close());

async function labelledNamespace(labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName('adm');
  await core.createNamespace({ body: { metadata: { name, labels } } });
  return name;
}

function podBody(name: string) {
  return {
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  };
}

async function addMutating(webhook: Partial<V1MutatingWebhook>): Promise<void> {
  await admission.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: uniqueName('mutating') },
      webhooks: [
        {
          name: 'hook.example.com',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          clientConfig: {},
          ...webhook,
        },
      ],
    },
  });
}

async function addValidating(webhook: Partial<V1ValidatingWebhook>): Promise<void> {
  await admission.createValidatingWebhookConfiguration({
    body: {
      metadata: { name: uniqueName('validating') },
      webhooks: [
        {
          name: 'deny.example.com',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          clientConfig: {},
          ...webhook,
        },
      ],
    },
  });
}

const POD_CREATE = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }];

describe('mutating webhooks', () => {
  it('patch a Pod on create, and the stored Pod is the mutated one', async () => {
    const hook = await startWebhook(() => ({
      allowed: true,
      patch: [
        { op: 'add', path: '/metadata/labels/injected', value: 'true' },
        { op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy', image: 'proxy:1' } },
      ],
    }));
    webhooks.push(hook);
    await addMutating({
      clientConfig: { url: `${hook.url}/inject`, caBundle: hook.caBundle },
      rules: POD_CREATE,
      namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } },
    });
    const injected = await labelledNamespace({ 'istio-injection': 'enabled' });
    const created = await core.createNamespacedPod({ namespace: injected, body: podBody('web') });
    expect(created.metadata?.labels).toEqual({ app: 'web', injected: 'true' });
    const stored = await core.readNamespacedPod({ name: 'web', namespace: injected });
    expect(stored.spec?.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);

    expect(hook.received).toHaveLength(1);
    const request = hook.received[0]!;
    expect(request).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'web',
      namespace: injected,
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin' },
      oldObject: null,
      dryRun: false,
    });
    expect(request.object).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } });

    const plain = await labelledNamespace();
    const untouched = await core.createNamespacedPod({ namespace: plain, body: podBody('web') });
    expect(untouched.metadata?.labels).toEqual({ app: 'web' });
    expect(hook.received).toHaveLength(1);
  });

  it('see a generateName Pod before it is named, and get the old object on update', async () => {
    const hook = await startWebhook(() => ({ allowed: true }));
    webhooks.push(hook);
    await addMutating({
      clientConfig: { url: hook.url, caBundle: hook.caBundle },
      rules: [
        { operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
      ],
    });
    const ns = await labelledNamespace();
    const created = await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { generateName: 'web-' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } },
    });
    expect(hook.received[0]).toMatchObject({
      name: '',
      operation: 'CREATE',
      object: { metadata: { generateName: 'web-' } },
    });
    await core.replaceNamespacedPod({
      name: created.metadata!.name!,
      namespace: ns,
      body: { ...created, metadata: { ...created.metadata, labels: { v: '2' } } },
    });
    expect(hook.received[1]).toMatchObject({ operation: 'UPDATE', name: created.metadata!.name });
    expect(hook.received[1]!.oldObject).toMatchObject({ metadata: { name: created.metadata!.name } });
  });

  it('are reached through a Service reference and verified against <service>.<namespace>.svc', async () => {
    const hook = await startWebhook(
      () => ({
        allowed: true,
        patch: [{ op: 'add', path: '/metadata/annotations', value: { via: 'service' } }],
      }),
      ['istiod.istio-system.svc'],
    );
    webhooks.push(hook);
    resolvedServicePort = hook.port;
    await addMutating({
      clientConfig: {
        service: { namespace: 'istio-system', name: 'istiod', path: '/inject', port: 443 },
        caBundle: hook.caBundle,
      },
      rules: POD_CREATE,
    });
    const ns = await labelledNamespace();
    const created = await core.createNamespacedPod({ namespace: ns, body: podBody('svc') });
    expect(created.metadata?.annotations).toEqual({ via: 'service' });
  });
});

describe('validating webhooks', () => {
  it('deny with their message and code, only for objects their selector matches', async () => {
    const hook = await startWebhook((request) =>
      request.operation === 'CREATE'
        ? { allowed: false, status: { code: 403, message: 'guarded configmaps are read-only' } }
        : { allowed: true },
    );
    webhooks.push(hook);
    await addValidating({
      clientConfig: { url: hook.url, caBundle: hook.caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      objectSelector: { matchLabels: { guarded: 'true' } },
    });
    const status = await statusOf(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'g', labels: { guarded: 'true' } } },
      }),
    );
    expect(status.code).toBe(403);
    expect(status.message).toBe(
      'admission webhook "deny.example.com" denied the request: guarded configmaps are read-only',
    );
    expect((await statusOf(core.readNamespacedConfigMap({ name: 'g', namespace: 'default' }))).code).toBe(
      404,
    );
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: uniqueName('free') } },
    });
    expect(hook.received).toHaveLength(1);
  });

  it('deny with 400 when the webhook gives no code', async () => {
    const hook = await startWebhook(() => ({ allowed: false, status: { message: 'no' } }));
    webhooks.push(hook);
    await addValidating({ clientConfig: { url: hook.url, caBundle: hook.caBundle }, rules: POD_CREATE });
    const status = await statusOf(
      core.createNamespacedPod({ namespace: 'default', body: podBody(uniqueName('p')) }),
    );
    expect(status).toMatchObject({
      code: 400,
      message: 'admission webhook "deny.example.com" denied the request: no',
    });
  });
});

describe('failurePolicy', () => {
  async function unreachableUrl(): Promise<string> {
    const hook = await startWebhook(() => ({ allowed: true }));
    await hook.close();
    return hook.url;
  }

  it('Ignore lets the request through when the webhook is down', async () => {
    await addValidating({
      clientConfig: { url: await unreachableUrl() },
      rules: POD_CREATE,
      failurePolicy: 'Ignore',
    });
    const created = await core.createNamespacedPod({
      namespace: 'default',
      body: podBody(uniqueName('ignored')),
    });
    expect(created.metadata?.uid).toBeTruthy();
  });

  it('Fail rejects the request with 500 InternalError when the webhook is down', async () => {
    await addMutating({
      clientConfig: { url: await unreachableUrl() },
      rules: POD_CREATE,
      failurePolicy: 'Fail',
    });
    const status = await statusOf(
      core.createNamespacedPod({ namespace: 'default', body: podBody(uniqueName('failed')) }),
    );
    expect(status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(status.message).toMatch(
      /^Internal error occurred: failed calling webhook "hook.example.com": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/": connect ECONNREFUSED/,
    );
  });

  it('Fail also applies to a webhook that does not answer within timeoutSeconds, or whose certificate does not verify', async () => {
    const silent = await startWebhook(() => undefined);
    webhooks.push(silent);
    await addMutating({
      clientConfig: { url: silent.url, caBundle: silent.caBundle },
      rules: POD_CREATE,
      timeoutSeconds: 1,
    });
    const timedOut = await statusOf(
      core.createNamespacedPod({ namespace: 'default', body: podBody(uniqueName('slow')) }),
    );
    expect(timedOut.message).toContain('context deadline exceeded');

    const untrusted = await startWebhook(() => ({ allowed: true }));
    webhooks.push(untrusted);
    await addValidating({
      clientConfig: { url: untrusted.url, caBundle: silent.caBundle },
      rules: POD_CREATE,
      failurePolicy: 'Fail',
    });
    await admission.deleteMutatingWebhookConfiguration({
      name: (await admission.listMutatingWebhookConfiguration()).items[0]!.metadata!.name!,
    });
    const rejected = await statusOf(
      core.createNamespacedPod({ namespace: 'default', body: podBody(uniqueName('tls')) }),
    );
    expect(rejected).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(untrusted.received).toHaveLength(0);
  });
});
