import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';

/**
 * istiod is killed (-9) and restarted on the same state directory and ports while a client sends
 * requests to `web` without pause. Sidecars reconnect one by one (each on its own backoff), so the
 * client's sidecar may be served by the new istiod before web's sidecar has registered again: the new
 * istiod must still know web's endpoint (its previous run persisted the registrations it had proven),
 * and the client never sees a 503. Both sidecars reach istiod through relays the test holds while
 * istiod is away and opens one after the other: the client reconnects first and web 2 s later, every
 * time (the ordering that used to lose the endpoint), well within istiod's 10 s reconnect grace.
 */

const SERVICES = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
`;

const CLIENT_ADDRESS = '127.0.49.1';
const WEB_ADDRESS = '127.0.49.2';

/** A TCP relay to istiod's TLS port that can hold new connections (a proxy still in its backoff). */
class HoldingRelay {
  private readonly server: Server = createServer((socket) => void this.relay(socket));
  private readonly sockets = new Set<Socket>();
  private released: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  constructor(private readonly target: () => { host: string; port: number }) {}

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  hold(): void {
    this.released = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  private async relay(socket: Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.pause();
    await this.released;
    if (socket.destroyed) return;
    const upstream = connect(this.target());
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    for (const [from, to] of [
      [socket, upstream],
      [upstream, socket],
    ] as const) {
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
      from.pipe(to);
    }
    socket.resume();
  }

  async close(): Promise<void> {
    this.release();
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const mesh = new LoopbackMesh();
const istiodTlsPort = () => ({ host: '127.0.0.1', port: mesh.istiod!.ports.secureXdsPort });
const clientRelay = new HoldingRelay(istiodTlsPort);
const webRelay = new HoldingRelay(istiodTlsPort);
let client: SidecarProcess;
let web: SidecarProcess;

/** One request to `web` through the client's sidecar: its status, or 0 when it did not complete. */
function callWeb(): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: CLIENT_ADDRESS, port: 15001, path: 'http://web:8080/', headers: { host: 'web:8080' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(5_000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Calls `web` without pause until `stop()`; resolves with every status seen. */
function keepCalling(): { stop: () => Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) statuses.push(await callWeb());
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return statuses;
    },
  };
}

const connections = (sidecar: SidecarProcess) =>
  sidecar.logs.filter((line) => line.includes('connected to istiod')).length;

beforeAll(async () => {
  mesh.writeConfig('services.yaml', SERVICES);
  await mesh.startIstiod();
  const app = await mesh.startApp('web', WEB_ADDRESS);
  web = await mesh.startSidecar({
    name: 'web-1',
    serviceAccount: 'web',
    labels: { app: 'web' },
    address: WEB_ADDRESS,
    inbound: { 8080: app },
    xdsAddress: await webRelay.listen(),
    extraArgs: ['--xds-tls'],
  });
  client = await mesh.startSidecar({
    name: 'client-1',
    labels: { app: 'client' },
    address: CLIENT_ADDRESS,
    xdsAddress: await clientRelay.listen(),
    extraArgs: ['--xds-tls'],
  });
  await waitFor(
    async () => (await callWeb()) === 200,
    15_000,
    () => client.logs.slice(-5).join('\n'),
  );
}, 90_000);

afterAll(async () => {
  await mesh.stop();
  await clientRelay.close();
  await webRelay.close();
});

it('keeps every self-registered endpoint across kill -9 of istiod: no request fails', async () => {
  for (let restart = 1; restart <= 2; restart++) {
    const calls = keepCalling();
    const clientBefore = connections(client);
    const webBefore = connections(web);
    clientRelay.hold();
    webRelay.hold();
    const killed = mesh.istiod!;
    const exited = new Promise((resolve) => killed.child.once('exit', resolve));
    killed.child.kill('SIGKILL');
    await exited;
    await mesh.startIstiod(true);
    // The client is served by the new istiod while web's sidecar is still away.
    clientRelay.open();
    await waitFor(
      () => connections(client) > clientBefore,
      20_000,
      () => `client did not reconnect:\n${client.logs.slice(-5).join('\n')}`,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    webRelay.open();
    await waitFor(
      () => connections(web) > webBefore,
      20_000,
      () => `web did not reconnect:\n${web.logs.slice(-5).join('\n')}`,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const statuses = await calls.stop();
    const byStatus: Record<number, number> = {};
    for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
    expect({ restart, statuses: byStatus }).toEqual({ restart, statuses: { 200: statuses.length } });
    expect(statuses.length).toBeGreaterThan(20);
    expect(mesh.istiod!.logs.some((line) => line.includes('restored the endpoint registrations'))).toBe(true);
  }
}, 120_000);
