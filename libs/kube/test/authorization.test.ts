import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { statusOf } from './helpers.js';

/** Who may call the server: bearer-token authentication (401) and the test's authorizer (403). */
let server: TestApiServer;

beforeAll(async () => {
  server = await startTestApiServer();
});

afterAll(() => server.close());

describe('authentication and authorization', () => {
  it('answers 401 Unauthorized without a valid token', async () => {
    const config = new KubeConfig();
    config.loadFromString(server.kubeConfigYaml({ username: 'mallory', token: 'not-a-token' }));
    const status = await statusOf(config.makeApiClient(CoreV1Api).listNamespace());
    expect(status.code).toBe(401);
  });

  it('answers 403 Forbidden with kube-apiserver wording when the authorizer denies', async () => {
    const guarded = await startTestApiServer({
      authorize: ({ user, verb }) => user.username !== 'alice' || verb === 'get',
    });
    try {
      const alice = guarded.addUser('alice', ['devs']);
      const api = guarded.kubeConfig(alice).makeApiClient(CoreV1Api);
      await api.readNamespace({ name: 'default' });
      const status = await statusOf(api.listNamespacedPod({ namespace: 'default' }));
      expect(status).toMatchObject({ code: 403, reason: 'Forbidden' });
      expect(status.message).toBe(
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
      );
    } finally {
      await guarded.close();
    }
  });
});
