import {
  createServer as createHttp1Server,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

import type { DownstreamConnection, HttpDependencies } from './http-stream-context.js';
import { handleRequest, localReply } from './request-handler.js';
import { enforceHttp1Limits, http1ServerOptions, trackHandedOverConnections } from './http1-limits.js';
import { handleUpgrade } from './upgrade-tunnel.js';

/**
 * Node's HTTP/1.1 and HTTP/2 servers used as codecs only (they never listen): the listeners hand them
 * connections whose filter chain runs the HTTP connection manager, and every request goes to
 * `handleRequest` with the connection it came on. The downstream limits hold on both: HTTP/1.1
 * header and keep-alive timeouts, and HTTP/2 sessions closed after `idleTimeoutMs` without frames.
 */
export class HttpServers {
  readonly #http1: Server;
  readonly #http2: Http2Server;
  readonly #connections = new WeakMap<object, DownstreamConnection>();
  #pending: DownstreamConnection | undefined;
  readonly #sessions = new Set<ServerHttp2Session>();
  #draining = false;

  constructor(private readonly deps: HttpDependencies) {
    const { limits, stats } = deps.downstream;
    this.#http1 = createHttp1Server(http1ServerOptions(limits), (req, res) =>
      this.#serve(req, res, this.#connections.get(req.socket)),
    );
    trackHandedOverConnections(this.#http1);
    enforceHttp1Limits(this.#http1, stats, (socket) => this.#statPrefix(socket));
    this.#http2 = createHttp2Server({ settings: { enableConnectProtocol: false } }, (req, res) =>
      this.#serve(req, res, this.#connections.get(req.stream.session as object)),
    );
    this.#http2.setTimeout(limits.idleTimeoutMs);
    this.#http2.on('timeout', (session: ServerHttp2Session) => {
      stats.idleTimeout(this.#statPrefix(session));
      session.destroy();
    });
    // The session is created synchronously while the connection is handed over.
    this.#http2.on('session', (session: ServerHttp2Session) => {
      if (this.#pending) this.#connections.set(session, this.#pending);
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
    });
    this.#http1.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const connection = this.#connections.get(req.socket);
      if (connection) handleUpgrade(req, socket, head, connection, this.deps, this.#http1);
      else socket.destroy();
    });
    this.#http2.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
  }

  /** The HTTP manager's `stat_prefix` of a connection or session, for Envoy's HTTP statistics. */
  #statPrefix(key: object): string {
    return String(this.#connections.get(key)?.hcm['stat_prefix'] ?? '');
  }

  #serve(
    req: IncomingMessage | Http2ServerRequest,
    res: ServerResponse | Http2ServerResponse,
    connection: DownstreamConnection | undefined,
  ): void {
    if (this.#draining && 'shouldKeepAlive' in res) res.shouldKeepAlive = false;
    if (!connection) {
      localReply(res, 500, 'no connection context');
      return;
    }
    handleRequest(req, res, connection, this.deps).catch(() => {
      if (!res.headersSent) localReply(res, 500, 'internal error');
      else res.destroy();
    });
  }

  /** Serves HTTP/1.1 on a connection (plaintext, or TLS already terminated). */
  http1(socket: Socket | Duplex, connection: DownstreamConnection): void {
    this.#connections.set(socket, connection);
    this.#http1.emit('connection', socket);
    socket.resume();
  }

  /**
   * Serves HTTP/2. A plaintext socket whose preface was read by the sniffer is wrapped so the bytes
   * put back are seen (HTTP/2 sessions read the socket's handle directly, past the JS buffer).
   */
  http2(socket: Socket | Duplex, connection: DownstreamConnection, replayBufferedBytes: boolean): void {
    this.#pending = connection;
    this.#http2.emit('connection', replayBufferedBytes ? replaying(socket as Socket) : socket);
    this.#pending = undefined;
  }

  /**
   * Envoy's drain: HTTP/1.1 connections close once idle (responses say `connection: close`), HTTP/2
   * sessions get GOAWAY and finish their streams. Called repeatedly while draining.
   */
  drain(): void {
    this.#draining = true;
    this.#http1.closeIdleConnections();
    for (const session of this.#sessions) session.close();
  }
}

/** A Duplex over `socket` that first yields what is buffered in it. */
function replaying(socket: Socket): Duplex {
  const duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk, encoding, callback) => void socket.write(chunk, encoding, callback),
    final: (callback) => {
      socket.end();
      callback();
    },
    destroy: (err, callback) => {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.on('error', (err) => duplex.destroy(err));
  Object.assign(duplex, {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
  });
  socket.resume();
  return duplex;
}
