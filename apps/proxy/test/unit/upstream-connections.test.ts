import { createServer, connect, type AddressInfo, type Server } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UpstreamConnectionLog } from '../../src/admin/upstream-connections.js';

/** The admin's record of upstream connections: real sockets, a bounded ring, failures included. */
describe('UpstreamConnectionLog', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function open(log: UpstreamConnectionLog, cluster: string, to: number): Promise<void> {
    const socket = connect({ host: '127.0.0.1', port: to });
    log.watch(socket, { cluster, host: '127.0.0.1', port: to, key: `127.0.0.1:${to}` });
    return new Promise((resolve) => {
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => resolve());
    });
  }

  it('records a plaintext connection and a failed one, newest first', async () => {
    const log = new UpstreamConnectionLog();
    await open(log, 'outbound|8080||backend.default.svc.cluster.local', port);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await open(log, 'outbound|5432||db.default.svc.cluster.local', closedPort);
    const [failed, connected] = log.list();
    expect(connected).toMatchObject({
      cluster: 'outbound|8080||backend.default.svc.cluster.local',
      upstream: `127.0.0.1:${port}`,
      tls: 'plaintext',
      outcome: 'connected',
    });
    expect(connected?.peer).toBeUndefined();
    expect(failed).toMatchObject({
      outcome: 'failed',
      tls: 'plaintext',
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('keeps only the last connections', async () => {
    const log = new UpstreamConnectionLog(3);
    for (const n of [1, 2, 3, 4, 5]) await open(log, `c${n}`, port);
    expect(log.list().map((r) => r.cluster)).toEqual(['c5', 'c4', 'c3']);
  });
});
