import { once } from 'node:events';
import { connect as connectHttp2 } from 'node:http2';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  classifyPlaintext,
  parseClientHello,
  sniffConnection,
} from '../../src/listeners/connection-sniffing.js';

/** What the proxy learns from a connection's first bytes, with real clients (Node's TLS, HTTP/2). */

const SNI = 'outbound_.8080_._.backend.default.svc.cluster.local';
const ISTIO_ALPN = ['istio-http/1.1', 'istio'];
const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

let server: Server;
let port: number;
const sockets: { destroy(): void }[] = [];
let accepted: Socket[];

beforeEach(async () => {
  accepted = [];
  server = createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const s of [...sockets.splice(0), ...accepted]) s.destroy();
  server.close();
  await once(server, 'close');
});

/** The proxy's side of the next connection to `server`. */
async function nextAccepted(): Promise<Socket> {
  const [socket] = (await once(server, 'connection')) as [Socket];
  return socket;
}

/** Reads from a socket the sniffer has paused until `done` holds for what arrived. */
function readUntil(socket: Socket, done: (data: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (!done(data)) return;
      socket.off('data', onData);
      socket.pause();
      resolve(data);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

const wholeRecord = (data: Buffer) => data.length >= 5 && data.length >= 5 + data.readUInt16BE(3);

function tlsClient(options: { servername?: string; ALPNProtocols?: string[] }) {
  const client = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
  client.on('error', () => undefined); // the test server never answers the handshake
  sockets.push(client);
  return client;
}

/** A ClientHello exactly as Node's TLS client sends it, the way a sidecar originates mTLS. */
async function captureClientHello(options: Parameters<typeof tlsClient>[0]): Promise<Buffer> {
  const accepting = nextAccepted();
  tlsClient(options);
  return readUntil(await accepting, wholeRecord);
}

describe('parseClientHello', () => {
  it('reads the SNI and ALPN of a real ClientHello', async () => {
    const hello = await captureClientHello({ servername: SNI, ALPNProtocols: ISTIO_ALPN });
    expect(parseClientHello(hello)).toEqual({ sni: SNI, alpn: ISTIO_ALPN });
  });

  it('has neither when the client sends neither (an IP address, no ALPN)', async () => {
    expect(parseClientHello(await captureClientHello({}))).toEqual({ alpn: [] });
  });

  it('is incomplete until the whole record has arrived', async () => {
    const hello = await captureClientHello({ servername: SNI, ALPNProtocols: ISTIO_ALPN });
    for (const length of [0, 3, 5, 64, hello.length - 1])
      expect(parseClientHello(hello.subarray(0, length)), `${length} bytes`).toBe('incomplete');
  });

  it.each([
    ['plaintext HTTP', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['an application-data record', Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0x00])],
    ['a ServerHello', Buffer.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])],
  ])('is invalid for %s', (_label, data) => {
    expect(parseClientHello(data)).toBe('invalid');
  });
});

describe('classifyPlaintext', () => {
  const cases: [string, ReturnType<typeof classifyPlaintext>][] = [
    ['GET /productpage HTTP/1.1\r\nHost: productpage\r\n\r\n', 'http1'],
    ['POST /api?x=1 HTTP/1.0\r\n', 'http1'],
    ['OPTIONS * HTTP/1.1\r\n', 'http1'],
    ['GET / HTTP/1.1\n', 'http1'],
    [H2_PREFACE, 'h2c'],
    [`${H2_PREFACE}\x00\x00\x00\x04\x00\x00\x00\x00\x00`, 'h2c'],
    ['PRI * HTTP/2', 'incomplete'],
    ['GET /produ', 'incomplete'],
    ['', 'incomplete'],
    ['get / HTTP/1.1\r\n', 'opaque'],
    ['GET / HTTP/2.0\r\n', 'opaque'],
    ['SSH-2.0-OpenSSH_9.6\r\n', 'opaque'],
    ['\x00\x00\x00\x0c\x01\x02', 'opaque'],
    [`GET /${'a'.repeat(9000)}`, 'opaque'],
  ];
  const label = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  it.each(cases.map(([text, kind]) => ({ label: label(text), text, kind })))(
    '$label → $kind',
    ({ text, kind }) => {
      expect(classifyPlaintext(Buffer.from(text, 'latin1'))).toBe(kind);
    },
  );
});

describe('sniffConnection', () => {
  async function sniffed(connectClient: () => void, timeoutMs = 2_000) {
    const accepting = nextAccepted();
    connectClient();
    const socket = await accepting;
    return { socket, result: await sniffConnection(socket, timeoutMs) };
  }

  function plainClient(...writes: string[]): Socket {
    const client = connect(port, '127.0.0.1');
    sockets.push(client);
    client.on('error', () => undefined);
    client.once('connect', async () => {
      for (const [i, text] of writes.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 30));
        client.write(text);
      }
    });
    return client;
  }

  it('sees TLS with its SNI and ALPN, and leaves the ClientHello to be read', async () => {
    const { socket, result } = await sniffed(() => tlsClient({ servername: SNI, ALPNProtocols: ISTIO_ALPN }));
    expect(result).toEqual({ transportProtocol: 'tls', sni: SNI, alpn: ISTIO_ALPN });
    const hello = await readUntil(socket, wholeRecord);
    expect(parseClientHello(hello)).toEqual({ sni: SNI, alpn: ISTIO_ALPN });
  });

  it('sees HTTP/1.1 sent in pieces, and leaves every byte to be read', async () => {
    const request = 'GET /productpage HTTP/1.1\r\nHost: productpage:9080\r\n\r\n';
    const { socket, result } = await sniffed(() => plainClient(request.slice(0, 8), request.slice(8)));
    expect(result).toEqual({ transportProtocol: 'raw_buffer', alpn: ['http/1.1'], plaintext: 'http1' });
    const data = await readUntil(socket, (d) => d.length >= request.length);
    expect(data.toString('latin1')).toBe(request);
  });

  it("sees an HTTP/2 client's prior-knowledge preface (h2c)", async () => {
    const { socket, result } = await sniffed(() => {
      const session = connectHttp2(`http://127.0.0.1:${port}`);
      session.on('error', () => undefined);
      sockets.push(session);
    });
    expect(result).toEqual({ transportProtocol: 'raw_buffer', alpn: ['h2c'], plaintext: 'h2c' });
    const data = await readUntil(socket, (d) => d.length >= H2_PREFACE.length);
    expect(data.subarray(0, H2_PREFACE.length).toString('latin1')).toBe(H2_PREFACE);
  });

  it('calls a client that sends nothing opaque once the timeout passes, and the socket still works', async () => {
    let client!: Socket;
    const { socket, result } = await sniffed(() => (client = plainClient()), 50);
    expect(result).toEqual({
      transportProtocol: 'raw_buffer',
      alpn: [],
      plaintext: 'opaque',
      timedOut: true,
    });
    socket.write('220 mysql ready\r\n'); // a server-first protocol speaks first
    const greeting = await readUntil(client, (d) => d.includes('\n'));
    expect(greeting.toString()).toBe('220 mysql ready\r\n');
    client.write('LOGIN');
    expect((await readUntil(socket, (d) => d.length >= 5)).toString()).toBe('LOGIN');
  });

  it('does not wait for the timeout when the client closes without sending', async () => {
    const { result } = await sniffed(() => {
      const client = connect(port, '127.0.0.1', () => client.end());
      sockets.push(client);
    }, 60_000);
    expect(result).toEqual({ transportProtocol: 'raw_buffer', alpn: [], plaintext: 'opaque' });
  });
});
