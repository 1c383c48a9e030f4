import type { Socket } from 'node:net';

/**
 * Envoy's listener filters `tls_inspector` and `http_inspector`: look at the first bytes of a
 * connection, without consuming them, to learn whether it is TLS (and its SNI and ALPN) or plaintext
 * HTTP/1.x, HTTP/2 with prior knowledge, or opaque. The bytes are put back for whoever reads next.
 */

export interface SniffedConnection {
  transportProtocol: 'tls' | 'raw_buffer';
  /** TLS: ALPN offered by the client. Plaintext: `http/1.1` or `h2c` as http_inspector reports, else none. */
  alpn: string[];
  sni?: string;
  /** Plaintext only: what the first bytes look like. */
  plaintext?: 'http1' | 'h2c' | 'opaque';
  /** Nothing conclusive arrived in time (Envoy's `downstream_pre_cx_timeout`). */
  timedOut?: true;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const HTTP1_REQUEST_LINE = /^[A-Z]{3,10} \S+ HTTP\/1\.[01]\r?$/;
const MAX_SNIFF_BYTES = 16 * 1024 + 5;

/** SNI and ALPN from a complete TLS record holding a ClientHello; undefined while incomplete. */
export function parseClientHello(data: Buffer): { sni?: string; alpn: string[] } | 'incomplete' | 'invalid' {
  if (data.length < 5) return 'incomplete';
  if (data[0] !== 0x16) return 'invalid';
  const recordEnd = 5 + data.readUInt16BE(3);
  if (data.length < recordEnd) return 'incomplete';
  try {
    let at = 5;
    if (data[at] !== 0x01) return 'invalid'; // handshake type ClientHello
    at += 4 + 2 + 32; // handshake header, client version, random
    at += 1 + (data[at] as number); // session id
    at += 2 + data.readUInt16BE(at); // cipher suites
    at += 1 + (data[at] as number); // compression methods
    const result: { sni?: string; alpn: string[] } = { alpn: [] };
    if (at + 2 > recordEnd) return result;
    const extensionsEnd = at + 2 + data.readUInt16BE(at);
    at += 2;
    while (at + 4 <= Math.min(extensionsEnd, recordEnd)) {
      const type = data.readUInt16BE(at);
      const length = data.readUInt16BE(at + 2);
      const body = data.subarray(at + 4, at + 4 + length);
      if (type === 0 && body.length >= 5 && body[2] === 0) {
        result.sni = body.subarray(5, 5 + body.readUInt16BE(3)).toString('ascii');
      } else if (type === 16 && body.length >= 2) {
        for (let p = 2; p < 2 + body.readUInt16BE(0) && p < body.length; p += 1 + (body[p] as number))
          result.alpn.push(body.subarray(p + 1, p + 1 + (body[p] as number)).toString('ascii'));
      }
      at += 4 + length;
    }
    return result;
  } catch {
    return 'invalid';
  }
}

/** What plaintext bytes look like: an HTTP/1.x request line, the HTTP/2 preface, or neither. */
export function classifyPlaintext(data: Buffer): 'http1' | 'h2c' | 'opaque' | 'incomplete' {
  const prefix = data.subarray(0, H2_PREFACE.length);
  if (prefix.equals(H2_PREFACE.subarray(0, prefix.length)))
    return prefix.length === H2_PREFACE.length ? 'h2c' : 'incomplete';
  const lineEnd = data.indexOf(0x0a);
  if (lineEnd < 0)
    return data.length > 8192 || !/^[A-Z]*( |$)/.test(data.toString('latin1', 0, 16))
      ? 'opaque'
      : 'incomplete';
  return HTTP1_REQUEST_LINE.test(data.toString('latin1', 0, lineEnd)) ? 'http1' : 'opaque';
}

function decide(data: Buffer, ended: boolean): SniffedConnection | undefined {
  if (data.length > 0 && data[0] === 0x16) {
    const hello = parseClientHello(data);
    if (hello === 'incomplete' && !ended && data.length < MAX_SNIFF_BYTES) return undefined;
    if (hello === 'incomplete' || hello === 'invalid') return { transportProtocol: 'tls', alpn: [] };
    return { transportProtocol: 'tls', alpn: hello.alpn, ...(hello.sni ? { sni: hello.sni } : {}) };
  }
  const kind = classifyPlaintext(data);
  if (kind === 'incomplete' && !ended && data.length < MAX_SNIFF_BYTES) return undefined;
  const plaintext = kind === 'incomplete' ? 'opaque' : kind;
  const alpn = plaintext === 'http1' ? ['http/1.1'] : plaintext === 'h2c' ? ['h2c'] : [];
  return { transportProtocol: 'raw_buffer', alpn, plaintext };
}

/**
 * Reads the first bytes of `socket` until it can tell what it carries (or `timeoutMs` passes: a
 * server-first protocol sends nothing, and is then opaque plaintext), then puts them back.
 */
export function sniffConnection(socket: Socket, timeoutMs: number): Promise<SniffedConnection> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const finish = (result: SniffedConnection) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      if (data.length > 0) socket.unshift(data);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const result = decide(data, false);
      if (result) finish(result);
    };
    const onEnd = () =>
      finish(decide(data, true) ?? { transportProtocol: 'raw_buffer', alpn: [], plaintext: 'opaque' });
    const timer = setTimeout(
      () => finish({ transportProtocol: 'raw_buffer', alpn: [], plaintext: 'opaque', timedOut: true }),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    // A socket handed over paused (e.g. after an HTTP CONNECT) does not flow just because of a listener.
    socket.resume();
  });
}
