import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

import { credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { CaClient, createCsr, generateKeyPair } from '@mesh/pki';
import { AdsClient, TypeUrl, type JsonValue } from '@mesh/xds';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { meshctl } from './processes.js';

/**
 * An attacker on the same network as istiod tries to become an endpoint of `web` and receive its
 * traffic (with its authorization headers): over the plaintext port with forged metadata, over mTLS
 * reusing the real sidecar's node id with its own certificate, and over mTLS claiming a namespace its
 * certificate is not for. Every attempt is refused; the real endpoint keeps all the traffic, also
 * after the impostors disconnect.
 */

const SERVICES = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports:
    - { name: http, port: 8080, targetPort: 8080 }
`;

const WEB_ADDRESS = '127.0.41.2';
const ATTACKER_ADDRESS = '127.0.41.9';
const WEB_NODE_ID = `sidecar~${WEB_ADDRESS}~web-1.default~default.svc.cluster.local`;

const mesh = new LoopbackMesh();
let client: SidecarProcess;
let attacker: Server;
let attackerHits = 0;
const impostors: AdsClient[] = [];

function curl(proxy: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-s', '-m', '5', '-H', 'authorization: Bearer secret', '-o', '-', '-w', '\n%{http_code}', url],
      { encoding: 'utf8', env: { ...process.env, http_proxy: proxy, no_proxy: '' } },
      (_err, out) => {
        const lines = out.trimEnd().split('\n');
        resolve({ status: Number(lines.pop()), body: lines.join('\n') });
      },
    );
  });
}

/** Who answered ten requests to `web` from the client's sidecar. */
async function answeredBy(): Promise<string[]> {
  const apps: string[] = [];
  for (let i = 0; i < 10; i++) {
    const { status, body } = await curl(client.proxyUrl, 'http://web:8080/data');
    apps.push(status === 200 ? (JSON.parse(body) as { app: string }).app : `status ${status}`);
  }
  return apps;
}

/** mTLS credentials of a workload certificate the attacker legitimately holds for `ns/sa`. */
async function certificateFor(namespace: string, serviceAccount: string): Promise<ChannelCredentials> {
  const token = meshctl([
    'local',
    'token',
    'create',
    '-n',
    namespace,
    '--sa',
    serviceAccount,
    '--state-dir',
    mesh.stateDir,
  ]);
  const root = readFileSync(mesh.rootCertFile);
  const ca = new CaClient({
    address: mesh.secureXdsAddress,
    credentials: grpcCredentials.createSsl(root),
    channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
  });
  const key = generateKeyPair();
  const identity = `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`;
  const chain = await ca.createCertificate(
    { csr: createCsr({ privateKey: key.privateKeyPem, identity }) },
    { token: token.stdout.trim() },
  );
  ca.close();
  return grpcCredentials.createSsl(
    root,
    Buffer.from(key.privateKeyPem),
    Buffer.from(chain.slice(0, -1).join('')),
  );
}

function impostor(metadata: Record<string, JsonValue>, credentials?: ChannelCredentials): AdsClient {
  const ads = new AdsClient({
    target: credentials ? mesh.secureXdsAddress : mesh.xdsAddress,
    node: {
      id: WEB_NODE_ID,
      metadata: {
        NAME: 'web-1',
        NAMESPACE: 'default',
        SERVICE_ACCOUNT: 'web',
        INSTANCE_IPS: ATTACKER_ADDRESS,
        LABELS: { app: 'web', 'security.istio.io/tlsMode': 'disabled' },
        ...metadata,
      },
    },
    ...(credentials
      ? {
          credentials,
          channelOptions: {
            'grpc.ssl_target_name_override': 'istiod.istio-system.svc',
            'grpc.use_local_subchannel_pool': 1,
          },
        }
      : {}),
  });
  ads.subscribe(TypeUrl.Cluster);
  ads.start();
  impostors.push(ads);
  return ads;
}

beforeAll(async () => {
  mesh.writeConfig('services.yaml', SERVICES);
  await mesh.startIstiod();
  const app = await mesh.startApp('web', WEB_ADDRESS);
  await mesh.startSidecar({
    name: 'web-1',
    serviceAccount: 'web',
    labels: { app: 'web' },
    address: WEB_ADDRESS,
    inbound: { 8080: app },
  });
  client = await mesh.startSidecar({ name: 'client-1', labels: { app: 'client' }, address: '127.0.41.1' });
  attacker = createServer((_req, res) => {
    attackerHits++;
    res.end(JSON.stringify({ app: 'attacker' }));
  });
  await new Promise<void>((resolve) => attacker.listen(8080, ATTACKER_ADDRESS, resolve));
  await waitFor(
    async () => (await curl(client.proxyUrl, 'http://web:8080/ready')).status === 200,
    15_000,
    () => client.logs.join('\n'),
  );
}, 90_000);

afterAll(async () => {
  for (const ads of impostors) ads.close();
  await mesh.stop();
  attacker?.close();
});

it('refuses impostor registrations, and the real endpoint keeps every request', async () => {
  // 1. The plaintext port, forged metadata (the real sidecar's node id, tlsMode disabled).
  impostor({});
  // 2. mTLS with a certificate of its own identity, reusing the real sidecar's node id.
  const attackerCert = await certificateFor('default', 'attacker');
  impostor({ SERVICE_ACCOUNT: 'attacker' }, attackerCert);
  // 3. mTLS with a certificate of another namespace, claiming `default`.
  const refused = impostor({}, await certificateFor('other', 'web'));
  const reason = await new Promise<string>((resolve) =>
    refused.once('disconnected', ({ reason: why }) => resolve(why)),
  );
  expect(reason).toMatch(/permission denied: node id namespace "default" disagrees/);
  await new Promise((r) => setTimeout(r, 1000)); // more than istiod's push debounce

  expect(await answeredBy()).toEqual(Array(10).fill('web'));
  for (const ads of impostors.splice(0)) ads.close();
  await new Promise((r) => setTimeout(r, 4000)); // past the 3 s grace period of a removal
  expect(await answeredBy()).toEqual(Array(10).fill('web'));
  expect(attackerHits).toBe(0);
  const refusals = mesh.istiod!.logs.filter((line) => line.includes('endpoint registration refused'));
  expect(refusals.join('\n')).toContain('register only over mTLS');
  expect(refusals.join('\n')).toContain('may not take it over');
});
