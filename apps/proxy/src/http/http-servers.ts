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
import { handleUpgrade, upgradeWithoutBody } from './upgrade-tunnel.js';

/**
 * Node's HTTP/1.1 and HTTP/2 servers used as codecs only (they never listen): the listeners hand them
 * connections whose filter chain runs the HTTP connection manager, and every request goes to
 * `handleRequest` with the connection it came on.
 */
export class HttpServers {
  readonly #http1: Server;
  readonly #http2: Http2Server;
  readonly #connections = new WeakMap<object, DownstreamConnection>();
  #pending: DownstreamConnection | undefined;
  readonly #sessions = new Set<ServerHttp2Session>();
  #draining = false;

  constructor(private readonly deps: HttpDependencies) {
    this.#http1 = createHttp1Server(
      {
        keepAliveTimeout: 60_000,
        requestTimeout: 0,
        headersTimeout: 60_000,
        shouldUpgradeCallback: upgradeWithoutBody,
      },
      (req, res) => this.#serve(req, res, this.#connections.get(req.socket)),
    );
    this.#http2 = createHttp2Server({ settings: { enableConnectProtocol: false } }, (req, res) =>
      this.#serve(req, res, this.#connections.get(req.stream.session as object)),
    );
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
    for (const server of [this.#http1, this.#http2])
      server.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
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
