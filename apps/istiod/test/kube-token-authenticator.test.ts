import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { Metadata } from '@grpc/grpc-js';
import { KubeConfig } from '@kubernetes/client-node';
import { startTestApiServer } from '@mesh/kube/test-server';
import { createSelfSignedRoot } from '@mesh/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KubeTokenAuthenticator } from '../src/security/kube-token-authenticator.js';

/**
 * A TokenReview endpoint speaking the Kubernetes REST protocol over HTTPS, standing in for the API
 * server: it knows a few tokens and answers as kube-apiserver does (authenticated, user, audiences).
 */
const TOKENS: Record<string, { username: string; audiences: string[] }> = {
  'sa-token-foo': { username: 'system:serviceaccount:default:foo', audiences: ['istio-ca'] },
  'sa-token-wrong-audience': { username: 'system:serviceaccount:default:foo', audiences: ['vault'] },
  'user-token': { username: 'alice@example.com', audiences: ['istio-ca'] },
};

let server: Server;
let kubeConfig: KubeConfig;
const reviews: { token: string; audiences: string[]; auth: string | undefined }[] = [];

beforeAll(async () => {
  const ca = createSelfSignedRoot({ trustDomain: 'kube.test' });
  const serving = ca.issueServerCertificate({
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    ttlSeconds: 3600,
  });
  server = createServer(
    { cert: serving.chainPem.slice(0, -1).join(''), key: serving.privateKeyPem },
    (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/apis/authentication.k8s.io/v1/tokenreviews') {
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end(JSON.stringify({ kind: 'Status', code: 404 }));
          return;
        }
        const review = JSON.parse(body) as { spec: { token: string; audiences: string[] } };
        reviews.push({ ...review.spec, auth: req.headers.authorization });
        const known = TOKENS[review.spec.token];
        const audiences = known?.audiences.filter((a) => review.spec.audiences.includes(a)) ?? [];
        const status =
          known && audiences.length > 0
            ? { authenticated: true, user: { username: known.username }, audiences }
            : {
                authenticated: false,
                error: known ? 'token audiences do not match' : 'invalid bearer token',
              };
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ...review, status }));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'test',
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caData: Buffer.from(ca.certificate.pem).toString('base64'),
      },
    ],
    users: [{ name: 'istiod', token: 'istiod-own-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'istiod' }],
    currentContext: 'test',
  });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function credentialsWith(token?: string) {
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return { metadata, auth: {} };
}

describe('Kubernetes service-account token authentication (TokenReview)', () => {
  const authenticator = () => new KubeTokenAuthenticator(kubeConfig, 'cluster.local');

  it('maps a reviewed service-account token to its SPIFFE identity, asking for the istio-ca audience', async () => {
    const caller = await authenticator().authenticate(credentialsWith('sa-token-foo'));
    expect(caller).toEqual({
      identity: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'foo' },
      authenticator: 'kubernetes-token',
    });
    expect(reviews.at(-1)).toEqual({
      token: 'sa-token-foo',
      audiences: ['istio-ca'],
      auth: 'Bearer istiod-own-token',
    });
  });

  it.each([
    ['invalid-token', /token rejected by the API server: invalid bearer token/],
    ['sa-token-wrong-audience', /token rejected by the API server: token audiences do not match/],
    ['user-token', /token user alice@example.com is not a service account/],
  ])('refuses %s', async (token, message) => {
    await expect(authenticator().authenticate(credentialsWith(token))).rejects.toThrow(message);
  });

  it('leaves calls without a bearer token to other authenticators', async () => {
    expect(await authenticator().authenticate(credentialsWith())).toBeUndefined();
  });
});

describe('TokenReview against the Kubernetes test API server', () => {
  it('accepts a service-account token it issued for istio-ca, and refuses one for another audience', async () => {
    const apiServer = await startTestApiServer();
    try {
      const authenticator = new KubeTokenAuthenticator(apiServer.kubeConfig(), 'cluster.local');
      const good = await apiServer.issueServiceAccountToken('default', 'productpage', {
        audiences: ['istio-ca'],
      });
      expect((await authenticator.authenticate(credentialsWith(good)))?.identity).toEqual({
        trustDomain: 'cluster.local',
        namespace: 'default',
        serviceAccount: 'productpage',
      });
      const vault = await apiServer.issueServiceAccountToken('default', 'productpage', {
        audiences: ['vault'],
      });
      await expect(authenticator.authenticate(credentialsWith(vault))).rejects.toThrow(
        /token rejected by the API server/,
      );
    } finally {
      await apiServer.close();
    }
  });
});
