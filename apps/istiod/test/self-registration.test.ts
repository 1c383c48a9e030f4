import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AdsClient, JsonValue } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import { workloadFromNode } from '../src/registry/self-registration.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { startTestIstiod, tempDir, until, workloadAdsClient } from './istiod-harness.js';
import { WEB_NODE_ID, WEB_SERVICE, webEndpoints, webMetadata } from './web-workload.js';

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

  const endpoints = () => webEndpoints(istiod!);

  function connect(node: { id: string; metadata: Record<string, JsonValue> }, identity?: string): AdsClient {
    const client = workloadAdsClient(istiod!, node, identity);
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
