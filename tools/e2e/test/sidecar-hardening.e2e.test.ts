import { createServer, type IncomingMessage, type Server } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { send } from './raw-http-client.js';

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
