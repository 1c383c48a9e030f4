import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JoinTokenAuthenticator } from '../src/security/join-token-authenticator.js';
import { debugAuthorization } from '../src/security/debug-authorization.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { joinToken, startTestIstiod, tempDir } from './istiod-harness.js';

function request(remoteAddress: string, authorization?: string): IncomingMessage {
  return {
    socket: { remoteAddress },
    headers: authorization ? { authorization } : {},
  } as unknown as IncomingMessage;
}

describe('who may read /debug/*', () => {
  const state = tempDir('istiod-state-');
  const authorize = debugAuthorization(
    [new JoinTokenAuthenticator(state, 'cluster.local', 7 * 86400)],
    'istio-system',
  );

  it('serves callers on this host', async () => {
    for (const address of ['127.0.0.1', '127.0.10.4', '::1', '::ffff:127.0.0.1'])
      expect(await authorize(request(address))).toBeUndefined();
  });

  it('asks anyone else for a token of the istio namespace', async () => {
    expect(await authorize(request('10.1.2.3'))).toMatchObject({ status: 401 });
    expect(await authorize(request('::ffff:10.1.2.3', 'Bearer not-a-token'))).toMatchObject({ status: 401 });
    const workload = await joinToken(state, 'default', 'productpage');
    expect(await authorize(request('10.1.2.3', `Bearer ${workload}`))).toEqual({
      status: 403,
      message: 'namespace default may not read debug endpoints (only istio-system)',
    });
    const operator = await joinToken(state, 'istio-system', 'istioctl');
    expect(await authorize(request('10.1.2.3', `Bearer ${operator}`))).toBeUndefined();
  });
});

/** An address of this host that is not loopback (the machine's network interface). */
function hostAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (!address) throw new Error('this test needs a non-loopback IPv4 address on the host');
  return address;
}

describe('the monitoring port', () => {
  const state = tempDir('istiod-state-');
  let istiod: RunningIstiod;
  beforeAll(async () => {
    istiod = await startTestIstiod(state, ['--listen-address', '0.0.0.0']);
  });
  afterAll(() => istiod.close());

  it('answers /debug/* on loopback, and over the network only with a token of the istio namespace', async () => {
    const local = `http://127.0.0.1:${istiod.ports.monitoring}`;
    expect((await fetch(`${local}/debug/syncz`)).status).toBe(200);

    // From the host's network address the caller is no longer on loopback.
    const remote = `http://${hostAddress()}:${istiod.ports.monitoring}`;
    const anonymous = await fetch(`${remote}/debug/config_dump?proxyID=x`);
    expect(anonymous.status).toBe(401);
    const workload = `Bearer ${await joinToken(state, 'default', 'productpage')}`;
    expect((await fetch(`${remote}/debug/syncz`, { headers: { authorization: workload } })).status).toBe(403);
    const operator = `Bearer ${await joinToken(state, 'istio-system', 'istioctl')}`;
    expect((await fetch(`${remote}/debug/syncz`, { headers: { authorization: operator } })).status).toBe(200);

    // Scrapers and probes need no credentials.
    expect((await fetch(`${remote}/metrics`)).status).toBe(200);
    expect((await fetch(`${remote}/ready`)).status).toBe(200);
  });
});
