import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * HTTP clients for tests that must control the bytes: a request through a sidecar's forward proxy
 * (or straight to an address) with any headers, and a raw connection that sends requests on one
 * socket and reads the responses back one by one.
 */

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request; `proxy` is a sidecar's `host:port` forward proxy, or undefined to go straight to `url`. */
export function send(url: string, headers: Record<string, string> = {}, proxy?: string): Promise<Reply> {
  const target = new URL(url);
  const [host, port] = proxy ? proxy.split(':') : [target.hostname, target.port];
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host, port: Number(port), path: proxy ? url : `${target.pathname}${target.search}`, headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string>,
            body,
          }),
        );
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Parses one response at the start of `data` (content-length or chunked); undefined while incomplete. */
function parseResponse(data: Buffer): { reply: Reply; length: number } | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = data.toString('latin1', 0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(' ')[1]);
  let at = headEnd + 4;
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(data.toString('latin1', at, lineEnd), 16);
      if (data.length < lineEnd + 2 + size + 2) return undefined;
      chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    return { reply: { status, headers, body: Buffer.concat(chunks).toString() }, length: at };
  }
  const length = status === 101 ? 0 : Number(headers['content-length'] ?? 0);
  if (data.length < at + length) return undefined;
  return { reply: { status, headers, body: data.toString('utf8', at, at + length) }, length: at + length };
}

/** A client connection whose responses are read in order as they complete. */
export class RawHttpConnection {
  readonly socket: Socket;
  #buffered = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #closed = false;

  constructor(host: string, port: number) {
    this.socket = connect(port, host);
    this.socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      this.#waiting?.();
    });
    this.socket.on('close', () => {
      this.#closed = true;
      this.#waiting?.();
    });
    this.socket.on('error', () => undefined);
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** The next complete response; rejects when the connection closes first or nothing comes in 5 s. */
  async next(): Promise<Reply> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const parsed = parseResponse(this.#buffered);
      if (parsed) {
        this.#buffered = this.#buffered.subarray(parsed.length);
        return parsed.reply;
      }
      if (this.#closed) throw new Error(`closed; received ${JSON.stringify(this.#buffered.toString())}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response; received ${JSON.stringify(this.#buffered.toString())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
