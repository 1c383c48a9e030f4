import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { createCsr, generateKeyPair } from '@mesh/pki';
import { AdsClient, TypeUrl, type JsonValue } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import { workloadFromNode } from '../src/registry/self-registration.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { startTestIstiod, tempDir } from './istiod-harness.js';

const WEB_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
`;

const WEB_NODE_ID = 'sidecar~127.0.0.5~web-1.default~default.svc.cluster.local';

function webMetadata(overrides: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  return {
    NAME: 'web-1',
    NAMESPACE: 'default',
    SERVICE_ACCOUNT: 'web',
    INSTANCE_IPS: '127.0.0.5',
    LABELS: { app: 'web' },
    POD_PORTS: '[{"name":"http","containerPort":8080}]',
    ...overrides,
  };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('self-registration', () => {
  let istiod: RunningIstiod | undefined;
  const clients: AdsClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await istiod?.close();
  });

  async function start(): Promise<void> {
    const config = tempDir('istiod-config-');
    writeFileSync(join(config, 'web.yaml'), WEB_SERVICE);
    istiod = await startTestIstiod(tempDir('istiod-state-'), [
      '--config-dir',
      config,
      '--push-debounce',
      '10ms',
    ]);
  }

  const endpoints = () => {
    const snapshot = istiod!.snapshot();
    const web = snapshot.service('web.default.svc.cluster.local');
    return web
      ? snapshot
          .endpoints(web, web.ports[0]!)
          .map((e) => `${e.address}:${e.port} ${e.serviceAccount} ${e.tlsMode}`)
      : [];
  };

  /** An ADS client on the plaintext port, or over mTLS with a certificate istiod's CA issued for ns/sa. */
  function connect(node: { id: string; metadata: Record<string, JsonValue> }, identity?: string): AdsClient {
    let secure = {};
    if (identity) {
      const key = generateKeyPair();
      const spiffe = `spiffe://cluster.local/${identity}`;
      const issued = istiod!.ca.issueWorkloadCertificate({
        csrPem: createCsr({ privateKey: key.privateKeyPem, identity: spiffe }),
        identity: spiffe,
        ttlSeconds: 3600,
      });
      secure = {
        credentials: grpcCredentials.createSsl(
          Buffer.from(istiod!.ca.trustBundle.toPem()),
          Buffer.from(key.privateKeyPem),
          Buffer.from(issued.chainPem.slice(0, -1).join('')),
        ),
        channelOptions: {
          'grpc.ssl_target_name_override': 'istiod.istio-system.svc',
          // Each test client its own connection, as separate proxies have.
          'grpc.use_local_subchannel_pool': 1,
        },
      };
    }
    const port = identity ? istiod!.ports.secureXds : istiod!.ports.xds;
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node, ...secure });
    client.subscribe(TypeUrl.Cluster);
    client.start();
    clients.push(client);
    return client;
  }

  it('takes namespace and service account from the proven identity and decides the TLS mode itself', () => {
    const node = {
      id: WEB_NODE_ID,
      cluster: '',
      metadata: webMetadata({
        INSTANCE_IPS: '127.0.0.5,fd00::5',
        LABELS: { app: 'web', 'security.istio.io/tlsMode': 'disabled' },
      }),
    };
    const identity = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'web' };
    expect(workloadFromNode(node, identity)).toEqual({
      name: 'web-1',
      namespace: 'default',
      address: '127.0.0.5',
      labels: { app: 'web', 'security.istio.io/tlsMode': 'disabled' },
      serviceAccount: 'web',
      namedPorts: { http: 8080 },
      locality: undefined,
      tlsMode: 'istio',
      origin: 'registered',
    });
    expect(workloadFromNode({ ...node, metadata: { NAMESPACE: 'default' } }, identity)).toBeUndefined();
  });

  it('registers a proxy that proved its identity over mTLS, and removes it after its connection leaves', async () => {
    await start();
    const client = connect({ id: WEB_NODE_ID, metadata: webMetadata() }, 'ns/default/sa/web');
    await until(() => endpoints().length === 1, 5000, 'registration');
    expect(endpoints()).toEqual(['127.0.0.5:8080 web istio']);

    client.close();
    await new Promise((r) => setTimeout(r, 1000));
    expect(endpoints()).toEqual(['127.0.0.5:8080 web istio']); // still there during the grace period
    await until(() => endpoints().length === 0, 6000, 'removal after the grace period');
  });

  it('never registers from the plaintext port, whatever the metadata claims', async () => {
    await start();
    const impostor = connect({
      id: WEB_NODE_ID,
      metadata: webMetadata({ LABELS: { app: 'web', 'security.istio.io/tlsMode': 'disabled' } }),
    });
    await new Promise<void>((resolve) => impostor.once('connected', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    expect(endpoints()).toEqual([]);
  });

  it('refuses a certificate holder whose metadata claims another namespace or service account', async () => {
    await start();
    for (const [identity, metadata] of [
      ['ns/other/sa/web', webMetadata()],
      ['ns/default/sa/reviews', webMetadata()],
    ] as const) {
      const client = connect({ id: WEB_NODE_ID, metadata }, identity);
      const refusal = await new Promise<string>((resolve) =>
        client.once('disconnected', ({ reason }) => resolve(reason)),
      );
      expect(refusal).toMatch(/PERMISSION_DENIED|permission denied/i);
      expect(refusal).toMatch(/disagrees with the client certificate/);
    }
    expect(endpoints()).toEqual([]);
  });

  it('keeps the real endpoint when another identity reuses its node id, also after the impostor leaves', async () => {
    await start();
    connect({ id: WEB_NODE_ID, metadata: webMetadata() }, 'ns/default/sa/web');
    await until(() => endpoints().length === 1, 5000, 'registration');

    // Same namespace, its own (proven) service account, the real sidecar's node id and address.
    const impostor = connect(
      { id: WEB_NODE_ID, metadata: webMetadata({ SERVICE_ACCOUNT: 'attacker' }) },
      'ns/default/sa/attacker',
    );
    await new Promise<void>((resolve) => impostor.once('connected', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    expect(endpoints()).toEqual(['127.0.0.5:8080 web istio']);
    impostor.close();
    await new Promise((r) => setTimeout(r, 3500)); // past the grace period of a removal
    expect(endpoints()).toEqual(['127.0.0.5:8080 web istio']);
  });

  it('lets a reconnect of the same identity take the registration over', async () => {
    await start();
    const first = connect({ id: WEB_NODE_ID, metadata: webMetadata() }, 'ns/default/sa/web');
    await until(() => endpoints().length === 1, 5000, 'registration');
    const second = connect({ id: WEB_NODE_ID, metadata: webMetadata() }, 'ns/default/sa/web');
    await new Promise<void>((resolve) => second.once('connected', () => resolve()));
    first.close();
    await new Promise((r) => setTimeout(r, 3500)); // the first connection's close removes nothing
    expect(endpoints()).toEqual(['127.0.0.5:8080 web istio']);
    second.close();
    await until(() => endpoints().length === 0, 6000, 'removal after the owner left');
  });
});
