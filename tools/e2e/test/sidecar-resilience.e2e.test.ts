import { execFile } from 'node:child_process';

import { credentials, type ClientDuplexStream, type Server } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { callMany, EchoClient, startEchoBackend } from './grpc-echo.js';
import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';

/**
 * What users rely on beyond the happy path: a canary split through real sidecars, gRPC over the
 * sidecars' HTTP/2 mTLS, and traffic that keeps flowing on the last config while istiod is down,
 * then converges again when istiod is back.
 */

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec:
  selector: { app: echo }
  ports: [{ name: grpc, port: 50051, targetPort: 50051 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: default }
spec:
  host: web
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;

const split = (v1: number, v2: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web]
  http:
    - route:
        - { destination: { host: web, subset: v1 }, weight: ${v1} }
        - { destination: { host: web, subset: v2 }, weight: ${v2} }
`;

const mesh = new LoopbackMesh();
let client: SidecarProcess;
let grpcServer: Server;

function get(url: string): Promise<string> {
  return new Promise((resolve) =>
    execFile(
      'curl',
      ['-s', '-m', '5', url],
      { encoding: 'utf8', env: { ...process.env, http_proxy: client.proxyUrl } },
      (_e, out) => resolve(out),
    ),
  );
}

async function versions(count: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let batch = 0; batch < count; batch += 20) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(20, count - batch) }, () => get('http://web:8080/')),
    );
    for (const reply of replies) {
      const app = reply ? (JSON.parse(reply) as { app: string }).app : 'failed';
      counts[app] = (counts[app] ?? 0) + 1;
    }
  }
  return counts;
}

beforeAll(async () => {
  mesh.writeConfig('mesh.yaml', CONFIG);
  mesh.writeConfig('split.yaml', split(80, 20));
  await mesh.startIstiod();
  for (const [n, version] of [
    [2, 'v1'],
    [3, 'v2'],
  ] as const) {
    const app = await mesh.startApp(`web-${version}`, `127.0.22.${n}`);
    await mesh.startSidecar({
      name: `web-${version}`,
      serviceAccount: 'web',
      labels: { app: 'web', version },
      address: `127.0.22.${n}`,
      inbound: { 8080: app },
    });
  }
  const echo = await startEchoBackend('echo-1');
  grpcServer = echo.server;
  await mesh.startSidecar({
    name: 'echo-1',
    labels: { app: 'echo' },
    address: '127.0.22.4',
    inbound: { 50051: { host: '127.0.0.1', port: echo.port } },
  });
  client = await mesh.startSidecar({ name: 'client', labels: { app: 'client' }, address: '127.0.22.1' });
  await waitFor(
    async () => {
      const counts = await versions(20);
      return (counts['web-v1'] ?? 0) > 0 && (counts['web-v2'] ?? 0) > 0;
    },
    20_000,
    () => client.logs.join('\n'),
  );
}, 90_000);

afterAll(async () => {
  await mesh.stop();
  grpcServer?.forceShutdown();
});

describe('through real sidecars', () => {
  it('splits traffic 80/20 between subsets', async () => {
    const counts = await versions(400);
    expect(counts['failed'] ?? 0).toBe(0);
    expect((counts['web-v1'] ?? 0) / 400).toBeGreaterThan(0.72);
    expect((counts['web-v1'] ?? 0) / 400).toBeLessThan(0.88);
  });

  it('carries gRPC calls over HTTP/2 and mTLS (the client uses grpc_proxy)', async () => {
    process.env['grpc_proxy'] = client.proxyUrl;
    const echo = new EchoClient(
      'echo.default.svc.cluster.local:50051',
      credentials.createInsecure(),
    ) as unknown as Parameters<typeof callMany>[0];
    try {
      expect(await callMany(echo, 20)).toEqual({ 'echo-1': 20 });
    } finally {
      echo.close();
      delete process.env['grpc_proxy'];
    }
  });

  it('carries a bidirectional gRPC stream message by message, ending with status OK', async () => {
    process.env['grpc_proxy'] = client.proxyUrl;
    const echo = new EchoClient('echo.default.svc.cluster.local:50051', credentials.createInsecure());
    delete process.env['grpc_proxy'];
    try {
      const stream = (
        echo as unknown as { Chat(): ClientDuplexStream<{ n: number }, { backend: string; n: number }> }
      ).Chat();
      const replies: { backend: string; n: number }[] = [];
      const status = new Promise<number>((resolve) =>
        stream.on('status', (s: { code: number }) => resolve(s.code)),
      );
      // Each reply comes back before the next message is sent: the stream is not buffered to its end.
      for (let n = 1; n <= 5; n++) {
        const reply = new Promise<{ backend: string; n: number }>((resolve) => stream.once('data', resolve));
        stream.write({ n });
        replies.push(await reply);
      }
      stream.end();
      expect(replies).toEqual([1, 2, 3, 4, 5].map((n) => ({ backend: 'echo-1', n })));
      expect(await status).toBe(0);
    } finally {
      echo.close();
    }
  });
});

describe('istiod goes away', () => {
  it('keeps serving the last config while istiod is down, and converges after it restarts', async () => {
    await mesh.istiod?.stop();
    // Requests keep succeeding on the last accepted config for a full minute.
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const counts = await versions(20);
      expect(counts['failed'] ?? 0).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
    }
    mesh.writeConfig('split.yaml', split(0, 100));
    await mesh.startIstiod(true);
    await waitFor(
      async () => (await versions(20))['web-v2'] === 20,
      20_000,
      () => client.logs.slice(-3).join('\n'),
    );
    expect(client.logs.some((l) => l.includes('lost istiod'))).toBe(true);
  }, 120_000);
});

describe('shutdown', () => {
  it('drains on SIGTERM: a request in flight completes, then the sidecar exits cleanly', async () => {
    const server = mesh.sidecars.find((s) => s.name === 'web-v2');
    if (!server) throw new Error('no web-v2 sidecar');
    const inFlight = get('http://web:8080/slow?delay=400');
    await new Promise((r) => setTimeout(r, 150));
    const exited = server.stop('SIGTERM');
    expect(JSON.parse(await inFlight)).toMatchObject({ app: 'web-v2', path: '/slow?delay=400' });
    expect(await exited).toBe(0);
    expect(server.logs.some((l) => l.includes('"msg":"draining"'))).toBe(true);
  });
});
