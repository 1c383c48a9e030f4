import { AuthenticationV1Api, CoreV1Api, type V1TokenReviewStatus } from '@kubernetes/client-node';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { statusOf } from './helpers.js';

/**
 * Service-account tokens and TokenReview, as istiod's CA uses them to authenticate workloads:
 * tokens issued by the server review as their service account for their audiences only, and
 * expired, forged, wrong-audience and orphaned tokens do not authenticate.
 */
let server: TestApiServer;
let authentication: AuthenticationV1Api;
let core: CoreV1Api;

beforeAll(async () => {
  server = await startTestApiServer();
  authentication = server.kubeConfig().makeApiClient(AuthenticationV1Api);
  core = server.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'apps' } } });
});

afterAll(() => server.close());

async function review(token: string, audiences?: string[]): Promise<V1TokenReviewStatus> {
  const result = await authentication.createTokenReview({
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(audiences ? { audiences } : {}) },
    },
  });
  return result.status!;
}

describe('TokenReview of issued service-account tokens', () => {
  it('authenticates a valid token as its service account, for the requested audience', async () => {
    const token = await server.issueServiceAccountToken('apps', 'reviews', {
      audiences: ['istio-ca', 'vault'],
    });
    const status = await review(token, ['istio-ca', 'other']);
    expect(status.authenticated).toBe(true);
    expect(status.audiences).toEqual(['istio-ca']);
    expect(status.user?.username).toBe('system:serviceaccount:apps:reviews');
    expect(status.user?.groups).toEqual([
      'system:serviceaccounts',
      'system:serviceaccounts:apps',
      'system:authenticated',
    ]);
    const account = await core.readNamespacedServiceAccount({ name: 'reviews', namespace: 'apps' });
    expect(status.user?.uid).toBe(account.metadata?.uid);
  });

  it('issues a real ES256 JWT with the Kubernetes claims', async () => {
    const token = await server.issueServiceAccountToken('apps', 'claims', { audiences: ['istio-ca'] });
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'ES256' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'https://kubernetes.default.svc.cluster.local',
      sub: 'system:serviceaccount:apps:claims',
      aud: ['istio-ca'],
      'kubernetes.io': { namespace: 'apps', serviceaccount: { name: 'claims' } },
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it('does not authenticate a token for audiences it was not issued for', async () => {
    const token = await server.issueServiceAccountToken('apps', 'reviews', { audiences: ['vault'] });
    const status = await review(token, ['istio-ca']);
    expect(status.authenticated).toBeFalsy();
    expect(status.error).toBe('token audiences ["vault"] is invalid for the target audiences ["istio-ca"]');
  });

  it('does not authenticate an expired token', async () => {
    const token = await server.issueServiceAccountToken('apps', 'reviews', {
      audiences: ['istio-ca'],
      expirationSeconds: -3600,
    });
    const status = await review(token, ['istio-ca']);
    expect(status.authenticated).toBeFalsy();
    expect(status.error).toBe('invalid bearer token, token is expired');
  });

  it('does not authenticate a forged token (signed by another key) or garbage', async () => {
    const other = await startTestApiServer();
    try {
      await other
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .createNamespace({ body: { metadata: { name: 'apps' } } });
      const forged = await other.issueServiceAccountToken('apps', 'reviews', { audiences: ['istio-ca'] });
      const status = await review(forged, ['istio-ca']);
      expect(status.authenticated).toBeFalsy();
      expect(status.error).toContain('invalid bearer token');
    } finally {
      await other.close();
    }
    expect((await review('not.a.jwt', ['istio-ca'])).authenticated).toBeFalsy();
  });

  it('stops authenticating a token once its service account is deleted', async () => {
    const token = await server.issueServiceAccountToken('apps', 'short-lived', { audiences: ['istio-ca'] });
    expect((await review(token, ['istio-ca'])).authenticated).toBe(true);
    await core.deleteNamespacedServiceAccount({ name: 'short-lived', namespace: 'apps' });
    const status = await review(token, ['istio-ca']);
    expect(status.authenticated).toBeFalsy();
    expect(status.error).toBe('serviceaccounts "short-lived" not found');
  });

  it('answers 400 for a review without a token', async () => {
    const status = await statusOf(authentication.createTokenReview({ body: { spec: { token: '' } } }));
    expect(status.code).toBe(400);
  });
});

describe('TokenRequest (serviceaccounts/<name>/token)', () => {
  it('issues a pod-bound token the way the kubelet asks for one', async () => {
    await core.createNamespacedServiceAccount({ namespace: 'apps', body: { metadata: { name: 'bound' } } });
    const pod = await core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name: 'bound-pod' },
        spec: { serviceAccountName: 'bound', containers: [{ name: 'a', image: 'a' }] },
      },
    });
    const issued = await core.createNamespacedServiceAccountToken({
      name: 'bound',
      namespace: 'apps',
      body: {
        spec: {
          audiences: ['istio-ca'],
          expirationSeconds: 7200,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bound-pod', uid: pod.metadata!.uid! },
        },
      },
    });
    expect(issued.status?.expirationTimestamp).toBeInstanceOf(Date);
    const token = issued.status!.token!;
    const status = await review(token, ['istio-ca']);
    expect(status.authenticated).toBe(true);
    expect(status.user?.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['bound-pod']);
    await core.deleteNamespacedPod({ name: 'bound-pod', namespace: 'apps' });
    expect((await review(token, ['istio-ca'])).authenticated).toBeFalsy();
  });

  it('refuses lifetimes under ten minutes and unknown service accounts', async () => {
    const short = await statusOf(
      core.createNamespacedServiceAccountToken({
        name: 'default',
        namespace: 'apps',
        body: { spec: { audiences: ['x'], expirationSeconds: 60 } },
      }),
    );
    expect(short.code).toBe(422);
    expect(short.message).toContain('may not specify a duration less than 10 minutes');
    const unknown = await statusOf(
      core.createNamespacedServiceAccountToken({
        name: 'nobody',
        namespace: 'apps',
        body: { spec: { audiences: ['x'] } },
      }),
    );
    expect(unknown).toMatchObject({ code: 404, message: 'serviceaccounts "nobody" not found' });
  });

  it('gives tokens for the API server audience that authenticate requests to it', async () => {
    const token = await server.issueServiceAccountToken('apps', 'api-user');
    const api = server.kubeConfig({ username: 'api-user', token }).makeApiClient(CoreV1Api);
    const namespaces = await api.listNamespace();
    expect(namespaces.items.length).toBeGreaterThan(0);
    const wrongAudience = await server.issueServiceAccountToken('apps', 'api-user', {
      audiences: ['istio-ca'],
    });
    const rejected = server
      .kubeConfig({ username: 'api-user', token: wrongAudience })
      .makeApiClient(CoreV1Api);
    expect((await statusOf(rejected.listNamespace())).code).toBe(401);
  });
});
