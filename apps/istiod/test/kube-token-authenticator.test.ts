import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { Metadata, status } from '@grpc/grpc-js';
import { KubeConfig } from '@kubernetes/client-node';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { createCsr, createSelfSignedRoot, generateKeyPair } from '@mesh/pki';
import { renderIstioCrds } from '@mesh/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KubeTokenAuthenticator } from '../src/security/kube-token-authenticator.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { requestCertificate } from './ca-client.js';
import { caEndpoint, startTestIstiod, tempDir } from './istiod-harness.js';

/**
 * istiod's CA authenticates Kubernetes service-account tokens with a TokenReview, against a real
 * control plane (tools/kube-cluster): tokens come from `kubectl create token`, as a user or the
 * kubelet makes them, and istiod calls the API server as its own service account, which RBAC must
 * let create TokenReviews (the `system:auth-delegator` role, as Istio's chart binds it).
 */
let cluster: KubeCluster;
let istiodKubeConfig: KubeConfig;

/** Runs kubectl as cluster-admin and returns its output without the final newline. */
const kubectl = async (...args: string[]) => (await cluster.runKubectl(args)).trim();

/** A kubeconfig for the cluster that authenticates with `token` (as istiod in a pod does). */
function kubeConfigWithToken(token: string): KubeConfig {
  const admin = cluster.kubeConfig();
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ ...admin.getCurrentCluster()!, name: 'cluster' }],
    users: [{ name: 'istiod', token }],
    contexts: [{ name: 'istiod', cluster: 'cluster', user: 'istiod' }],
    currentContext: 'istiod',
  });
  return config;
}

function credentialsWith(token?: string) {
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return { metadata, auth: {} };
}

beforeAll(async () => {
  cluster = await buildAndStartCluster();
  await kubectl('create', 'namespace', 'istio-system');
  await kubectl('create', 'serviceaccount', 'istiod', '-n', 'istio-system');
  await kubectl(
    'create',
    'clusterrolebinding',
    'istiod-token-review',
    '--clusterrole=system:auth-delegator',
    '--serviceaccount=istio-system:istiod',
  );
  await kubectl('create', 'serviceaccount', 'productpage');
  istiodKubeConfig = kubeConfigWithToken(await kubectl('create', 'token', 'istiod', '-n', 'istio-system'));
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(() => cluster?.down(), 60_000);

describe('Kubernetes service-account token authentication (TokenReview on a real API server)', () => {
  const authenticator = () => new KubeTokenAuthenticator(istiodKubeConfig, 'cluster.local');

  it('maps a token made by `kubectl create token --audience istio-ca` to its SPIFFE identity', async () => {
    const token = await kubectl('create', 'token', 'productpage', '--audience', 'istio-ca');
    expect(await authenticator().authenticate(credentialsWith(token))).toEqual({
      identity: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'productpage' },
      authenticator: 'kubernetes-token',
    });
  });

  it('refuses a token for another audience, and one for the API server itself', async () => {
    // Accepting these would prove istiod asked the TokenReview for no audience (the API server's own)
    // instead of istio-ca.
    for (const audience of [['--audience', 'vault'], []]) {
      const token = await kubectl('create', 'token', 'productpage', ...audience);
      await expect(authenticator().authenticate(credentialsWith(token))).rejects.toThrow(
        /token rejected by the API server: .*audience/,
      );
    }
  });

  it('refuses a forged token (a valid one with its signature changed) and garbage', async () => {
    const token = await kubectl('create', 'token', 'productpage', '--audience', 'istio-ca');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${payload}.${signature.slice(0, -4)}${signature.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    for (const bad of [forged, 'not-a-token']) {
      await expect(authenticator().authenticate(credentialsWith(bad))).rejects.toThrow(
        /token rejected by the API server/,
      );
    }
  });

  it('refuses the token of a service account deleted since, once the API server forgets it', async () => {
    await kubectl('create', 'serviceaccount', 'reviews');
    const token = await kubectl('create', 'token', 'reviews', '--audience', 'istio-ca');
    const review = () => authenticator().authenticate(credentialsWith(token));
    expect((await review())?.identity.serviceAccount).toBe('reviews');
    await kubectl('delete', 'serviceaccount', 'reviews');
    // kube-apiserver caches a successful token authentication for 10 s (unlike the imitation this
    // test once ran against), so revocation takes effect within that, not at once.
    const deadline = Date.now() + 30_000;
    let refusal: unknown;
    while (refusal === undefined && Date.now() < deadline) {
      refusal = await review().then(
        () => undefined,
        (error: unknown) => error,
      );
      if (refusal === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(String(refusal)).toMatch(/token rejected by the API server/);
  });

  it('fails with the API server answer when istiod may not create TokenReviews', async () => {
    await kubectl('create', 'serviceaccount', 'no-rbac');
    const unprivileged = kubeConfigWithToken(await kubectl('create', 'token', 'no-rbac'));
    const token = await kubectl('create', 'token', 'productpage', '--audience', 'istio-ca');
    await expect(
      new KubeTokenAuthenticator(unprivileged, 'cluster.local').authenticate(credentialsWith(token)),
    ).rejects.toThrow(/TokenReview failed: .*(403|forbidden)/i);
  });

  it('leaves calls without a bearer token to other authenticators', async () => {
    expect(await authenticator().authenticate(credentialsWith())).toBeUndefined();
  });
});

describe("istiod's CA with --kubeconfig", () => {
  let istiod: RunningIstiod;
  let stateDir: string;
  const PRODUCTPAGE = 'spiffe://cluster.local/ns/default/sa/productpage';
  const csrFor = (identity: string) => createCsr({ privateKey: generateKeyPair().privateKeyPem, identity });

  beforeAll(async () => {
    // istiod also reads its config from the cluster: the Istio CRDs must be there for it to sync.
    await cluster.runKubectl(['apply', '-f', '-'], renderIstioCrds());
    await kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');
    stateDir = tempDir('istiod-state-');
    istiod = await startTestIstiod(stateDir, ['--kubeconfig', cluster.kubeconfig, '--webhook-port', 'off']);
  }, 120_000);

  afterAll(async () => {
    await istiod?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('signs a workload certificate for a kubectl-made token, for its own identity only', async () => {
    const token = await kubectl('create', 'token', 'productpage', '--audience', 'istio-ca');
    const issued = await requestCertificate({ ...caEndpoint(istiod), csr: csrFor(PRODUCTPAGE), token });
    expect(new X509Certificate(issued.chain![0]!).subjectAltName).toBe(`URI:${PRODUCTPAGE}`);

    const asReviews = await requestCertificate({
      ...caEndpoint(istiod),
      csr: csrFor('spiffe://cluster.local/ns/default/sa/reviews'),
      token,
    });
    expect(asReviews.error?.code).toBe(status.PERMISSION_DENIED);

    const vault = await kubectl('create', 'token', 'productpage', '--audience', 'vault');
    const wrongAudience = await requestCertificate({
      ...caEndpoint(istiod),
      csr: csrFor(PRODUCTPAGE),
      token: vault,
    });
    expect(wrongAudience.error?.code).toBe(status.UNAUTHENTICATED);
  });
});

/**
 * The one answer the real API server cannot be made to give here: a TokenReview that authenticates a
 * user who is not a service account. kube-apiserver authenticates such bearer tokens only through a
 * static token file, bootstrap tokens or OIDC, none of which the test cluster configures; so a
 * minimal TokenReview endpoint gives that answer, and istiod must refuse it.
 */
describe('TokenReview answering a user that is not a service account', () => {
  let server: Server;
  let kubeConfig: KubeConfig;

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
          const review = JSON.parse(body) as { spec: { audiences: string[] } };
          const status = {
            authenticated: true,
            user: { username: 'alice@example.com' },
            audiences: review.spec.audiences,
          };
          res
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ...review, status }));
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [
        {
          name: 'stub',
          server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
          caData: Buffer.from(ca.certificate.pem).toString('base64'),
        },
      ],
      users: [{ name: 'istiod', token: 'istiod-own-token' }],
      contexts: [{ name: 'stub', cluster: 'stub', user: 'istiod' }],
      currentContext: 'stub',
    });
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses it', async () => {
    await expect(
      new KubeTokenAuthenticator(kubeConfig, 'cluster.local').authenticate(credentialsWith('user-token')),
    ).rejects.toThrow(/token user alice@example.com is not a service account/);
  });
});
