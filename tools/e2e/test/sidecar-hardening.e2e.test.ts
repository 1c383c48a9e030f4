import { createServer, type IncomingMessage, type Server } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { RawHttpConnection, send } from './raw-http-client.js';
import { clientHello, slowClient } from './slow-clients.js';

/**
 * A hostile caller against real sidecars: what it sends must never reach the app unchecked or
 * claim an identity it does not have. The `guarded` app records every request it sees.
 */

const SERVICES = `apiVersion: v1
kind: Service
metadata: { name: guarded, namespace: default }
spec:
  selector: { app: guarded }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: slow, namespace: default }
spec:
  selector: { app: slow }
  ports:
    - { name: http, port: 8080, targetPort: 8080 }
    - { name: http-strict, port: 9080, targetPort: 9080 }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: slow, namespace: default }
spec:
  selector: { matchLabels: { app: slow } }
  mtls: { mode: PERMISSIVE }
  portLevelMtls: { 9080: { mode: STRICT } }
`;

const ONLY_WS = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: only-ws, namespace: default }
spec:
  selector: { matchLabels: { app: guarded } }
  action: ALLOW
  rules:
    - to: [{ operation: { paths: ["/ws"] } }]
`;

const FORGED_XFCC =
  'By=spiffe://cluster.local/ns/default/sa/guarded-1;URI=spiffe://cluster.local/ns/default/sa/admin';

const mesh = new LoopbackMesh();
let client: SidecarProcess;
let guardedApp: Server;
/** Every request the guarded app received: path and headers. */
const seen: { path: string; headers: IncomingMessage['headers'] }[] = [];

/** The guarded app: answers every request (upgrades too, with a plain 200) with what it saw. */
async function startGuardedApp(host: string): Promise<{ host: string; port: number }> {
  guardedApp = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, headers: req.headers }));
    });
  });
  await new Promise<void>((resolve) => guardedApp.listen(0, host, resolve));
  return { host, port: (guardedApp.address() as { port: number }).port };
}

beforeAll(async () => {
  mesh.writeConfig('services.yaml', SERVICES);
  await mesh.startIstiod();
  await mesh.startSidecar({
    name: 'guarded-1',
    labels: { app: 'guarded' },
    address: '127.0.26.2',
    inbound: { 8080: await startGuardedApp('127.0.26.2') },
  });
  const slowApp = await mesh.startApp('slow', '127.0.26.3');
  await mesh.startSidecar({
    name: 'slow-1',
    labels: { app: 'slow' },
    address: '127.0.26.3',
    inbound: { 8080: slowApp, 9080: slowApp },
    extraArgs: [
      ...['--listener-filters-timeout', '1s', '--tls-handshake-timeout', '1s'],
      ...['--request-headers-timeout', '1s', '--max-connections', '100'],
    ],
  });
  client = await mesh.startSidecar({ name: 'client-1', labels: { app: 'client' }, address: '127.0.26.1' });
  await waitFor(
    async () => (await send('http://guarded:8080/ready', {}, '127.0.26.1:15001')).status === 200,
    15_000,
    () => client.logs.join('\n'),
  );
}, 90_000);

afterAll(async () => {
  await mesh.stop();
  guardedApp?.closeAllConnections();
  guardedApp?.close();
});

describe('x-forwarded-client-cert', () => {
  it("never passes a plaintext caller's header to the app", async () => {
    const reply = await send('http://127.0.26.2:8080/xfcc-plaintext', {
      'x-forwarded-client-cert': FORGED_XFCC,
    });
    expect(reply.status).toBe(200);
    const request = seen.find((r) => r.path === '/xfcc-plaintext');
    expect(request).toBeDefined();
    expect(request?.headers['x-forwarded-client-cert']).toBeUndefined();
  });

  it('gives the app only the verified identity of an mTLS caller, whatever its app claimed', async () => {
    const reply = await send(
      'http://guarded:8080/xfcc-mtls',
      { 'x-forwarded-client-cert': FORGED_XFCC },
      '127.0.26.1:15001',
    );
    expect(reply.status).toBe(200);
    const xfcc = seen.find((r) => r.path === '/xfcc-mtls')?.headers['x-forwarded-client-cert'];
    // The caller's sidecar drops its app's header (SANITIZE outbound); ours sets one element.
    expect(xfcc).toMatch(
      /^By=spiffe:\/\/cluster\.local\/ns\/default\/sa\/guarded-1;Hash=[0-9a-f]{64};Subject="";URI=spiffe:\/\/cluster\.local\/ns\/default\/sa\/client-1$/,
    );
  });
});

describe('HTTP/1.1 upgrade answered without 101', () => {
  beforeAll(async () => {
    mesh.writeConfig('authz.yaml', ONLY_WS);
    await waitFor(
      async () => (await send('http://127.0.26.2:8080/other')).status === 403,
      10_000,
      () => 'the ALLOW policy for /ws was not applied',
    );
  });

  afterAll(async () => {
    mesh.writeConfig('authz.yaml', '');
    await waitFor(
      async () => (await send('http://127.0.26.2:8080/other')).status === 200,
      10_000,
      () => 'the ALLOW policy for /ws was not removed',
    );
  });

  const upgrade = (target: string) =>
    `GET ${target} HTTP/1.1\r\nHost: guarded:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`;
  const plain = (target: string) => `GET ${target} HTTP/1.1\r\nHost: guarded:8080\r\n\r\n`;

  it('keeps checking every later request on the connection (plaintext to the inbound port)', async () => {
    const connection = new RawHttpConnection('127.0.26.2', 8080);
    try {
      connection.write(upgrade('/ws'));
      const upgraded = await connection.next();
      expect(upgraded.status).toBe(200);
      expect(JSON.parse(upgraded.body)).toMatchObject({ path: '/ws' });
      connection.write(plain('/admin'));
      expect(await connection.next()).toMatchObject({ status: 403, body: 'RBAC: access denied' });
      connection.write(upgrade('/ws'));
      expect((await connection.next()).status).toBe(200);
    } finally {
      connection.close();
    }
    expect(seen.map((r) => r.path)).not.toContain('/admin');
  });

  it('forwards nothing the client sent before the upstream answered (pipelined)', async () => {
    const connection = new RawHttpConnection('127.0.26.2', 8080);
    try {
      connection.write(upgrade('/ws') + plain('/admin-pipelined'));
      expect((await connection.next()).status).toBe(200);
      expect(await connection.next()).toMatchObject({ status: 403, body: 'RBAC: access denied' });
    } finally {
      connection.close();
    }
    expect(seen.map((r) => r.path)).not.toContain('/admin-pipelined');
  });

  it('serves an upgrade request that carries a body as an ordinary request', async () => {
    const connection = new RawHttpConnection('127.0.26.2', 8080);
    try {
      connection.write(
        'POST /ws HTTP/1.1\r\nHost: guarded:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Content-Length: 40\r\n\r\n${plain('/admin-in-body').padEnd(40)}`,
      );
      const reply = await connection.next();
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ path: '/ws' });
      expect(JSON.parse(reply.body).headers.upgrade).toBeUndefined();
      connection.write(plain('/admin'));
      expect((await connection.next()).status).toBe(403);
    } finally {
      connection.close();
    }
    expect(seen.map((r) => r.path)).not.toContain('/admin-in-body');
  });

  it('keeps checking through the caller sidecar and mTLS too', async () => {
    const connection = new RawHttpConnection('127.0.26.1', 15001);
    try {
      connection.write(upgrade('http://guarded:8080/ws'));
      expect((await connection.next()).status).toBe(200);
      connection.write(plain('http://guarded:8080/admin-via-sidecar'));
      expect(await connection.next()).toMatchObject({ status: 403, body: 'RBAC: access denied' });
    } finally {
      connection.close();
    }
    expect(seen.map((r) => r.path)).not.toContain('/admin-via-sidecar');
  });
});

async function prometheusValue(name: string, label: string): Promise<number> {
  const text = await (await fetch('http://127.0.26.3:15090/stats/prometheus')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`"${label}"`));
  return Number(line?.split(' ').pop() ?? 0);
}

describe('slow and numerous clients', () => {
  it('are cut off and counted while readiness stays green and normal requests go through', async () => {
    const hello = await clientHello('outbound_.9080_._.slow.default.svc.cluster.local');
    const headers = Buffer.from(`Host: slow\r\nX-Padding: ${'a'.repeat(100)}\r\n\r\n`);
    let ready = true;
    let polling = true;
    const readiness = (async () => {
      while (polling) {
        const status = await fetch('http://127.0.26.3:15021/healthz/ready').then(
          (r) => r.status,
          () => 0,
        );
        ready &&= status === 200;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    // 100 connections per listener are allowed; 50 more on each are refused as they arrive.
    const clients = [
      ...Array.from({ length: 150 }, () =>
        slowClient('127.0.26.3', 8080, Buffer.from('GET / HTTP/1.1\r\n'), headers),
      ),
      ...Array.from({ length: 75 }, () =>
        slowClient('127.0.26.3', 9080, hello.subarray(0, 1), hello.subarray(1)),
      ),
      ...Array.from({ length: 75 }, () => slowClient('127.0.26.3', 9080, hello, Buffer.alloc(0))),
    ];
    const cutAfterMs = await Promise.all(clients);
    polling = false;
    await readiness;
    // Every limit is 1 s; each trickle would take 20 s or for ever.
    expect(Math.max(...cutAfterMs)).toBeLessThan(8_000);
    expect(ready).toBe(true);
    expect(await prometheusValue('envoy_listener_downstream_cx_overflow', '127.0.26.3_8080')).toBeGreaterThan(
      0,
    );
    expect(await prometheusValue('envoy_listener_downstream_cx_overflow', '127.0.26.3_9080')).toBeGreaterThan(
      0,
    );
    expect(
      await prometheusValue('envoy_http_downstream_rq_header_timeout', 'inbound_0.0.0.0_8080'),
    ).toBeGreaterThan(0);
    expect(
      await prometheusValue('envoy_listener_downstream_pre_cx_timeout', '127.0.26.3_9080'),
    ).toBeGreaterThan(0);
    expect(
      await prometheusValue(
        'envoy_listener_downstream_cx_transport_socket_connect_timeout',
        '127.0.26.3_9080',
      ),
    ).toBeGreaterThan(0);
    expect((await send('http://127.0.26.3:8080/after-plaintext')).status).toBe(200);
    expect((await send('http://slow:9080/after-mtls', {}, '127.0.26.1:15001')).status).toBe(200);
  }, 30_000);
});
