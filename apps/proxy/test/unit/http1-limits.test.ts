import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  enforceHttp1Limits,
  http1ServerOptions,
  trackHandedOverConnections,
} from '../../src/http/http1-limits.js';
import type { DownstreamLimits } from '../../src/listeners/downstream-limits.js';
import { DownstreamStats } from '../../src/telemetry/index.js';

/**
 * The HTTP/1.1 codec as the listeners use it: a Node server that never listens and gets every
 * connection handed over, with header and idle timeouts that must still hold, counted.
 */

const LIMITS: DownstreamLimits = {
  listenerFiltersTimeoutMs: 1_000,
  tlsHandshakeTimeoutMs: 1_000,
  requestHeadersTimeoutMs: 300,
  idleTimeoutMs: 300,
  maxConnectionsPerListener: 10,
};

let registry: Registry;
let codec: HttpServer;
let listener: Server;
const clients: Socket[] = [];

beforeEach(async () => {
  registry = new Registry();
  codec = createHttpServer(http1ServerOptions(LIMITS), (_req, res) => res.end('ok'));
  trackHandedOverConnections(codec);
  enforceHttp1Limits(codec, new DownstreamStats(registry), () => 'inbound_0.0.0.0_8080');
  listener = createServer((socket) => codec.emit('connection', socket));
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
});

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  codec.closeAllConnections();
  listener.close();
});

function client(): Socket {
  const socket = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  clients.push(socket);
  return socket;
}

/** What the client received until the proxy closed the connection, and after how long. */
async function untilClosed(socket: Socket): Promise<{ received: string; afterMs: number }> {
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  await once(socket, 'close');
  return { received, afterMs: Date.now() - started };
}

async function counter(name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

describe('HTTP/1.1 limits on handed-over connections', () => {
  it('answers 408 and closes a client that trickles its headers, and counts it', async () => {
    const socket = client();
    const header = 'GET / HTTP/1.1\r\nHost: backend\r\nX-Slow: ' + 'a'.repeat(200);
    let sent = 0;
    const trickle = setInterval(() => socket.writable && socket.write(header[sent++] ?? 'a'), 20);
    const { received, afterMs } = await untilClosed(socket);
    clearInterval(trickle);
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    // 300 ms limit, checked every 75 ms: well before the trickle would have finished (4 s).
    expect(afterMs).toBeLessThan(2_000);
    expect(await counter('envoy_http_downstream_rq_header_timeout')).toBe(1);
  });

  it('closes a connection that never sends anything', async () => {
    const { afterMs } = await untilClosed(client());
    expect(afterMs).toBeLessThan(2_000);
  });

  it('serves a prompt request, then closes the idle keep-alive connection and counts it', async () => {
    const socket = client();
    socket.write('GET / HTTP/1.1\r\nHost: backend\r\n\r\n');
    const { received } = await untilClosed(socket);
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
    expect(await counter('envoy_http_downstream_cx_idle_timeout')).toBe(1);
    expect(await counter('envoy_http_downstream_rq_header_timeout')).toBe(0);
  });
});
