import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';

import { compiledFilterChain, originalDestinationListener, selectFilterChain } from '@mesh/xds';

import type { DownstreamConnection, HttpDependencies } from '../http/http-stream-context.js';
import { handleRequest, localReply } from '../http/request-handler.js';
import { enforceHttp1Limits, http1ServerOptions } from '../http/http1-limits.js';
import { handleUpgrade } from '../http/upgrade-tunnel.js';
import { listenerAddress } from '../telemetry/index.js';
import { resolveExplicitDestination } from './explicit-destination.js';
import type { LocalCallers } from './local-callers.js';
import type { TrafficListeners } from './traffic-listeners.js';

/**
 * The explicit-mode outbound listener: an HTTP forward proxy, which is what `HTTP_PROXY`,
 * `http_proxy`, `grpc_proxy` and `NODE_USE_ENV_PROXY` make applications use. Absolute-form requests
 * (`GET http://reviews:9080/path`) go through the outbound HTTP listener of their port, routed by
 * Host exactly as in transparent mode; `CONNECT host:port` tunnels become outbound connections to
 * that destination (HTTP/2, gRPC and TCP ride these).
 *
 * Whoever uses it speaks with the workload's identity, so a caller `callers` refuses (another user of
 * the machine) gets 403 before anything is forwarded; see `local-callers.ts` for what can be told.
 */

export class HttpProxyListener {
  readonly server: Server;
  /** `<ip>_<port>` once listening: the listener's and its HTTP manager's name in statistics. */
  #address = '';

  constructor(
    private readonly deps: HttpDependencies,
    private readonly traffic: TrafficListeners,
    private readonly namespace: string,
    private readonly callers: LocalCallers,
  ) {
    const { limits, stats } = deps.downstream;
    this.server = createServer(http1ServerOptions(limits), (req, res) => {
      void this.#admitted(req.socket, res, () => this.#request(req, res));
    });
    enforceHttp1Limits(this.server, stats, () => this.#address);
    // The same connection limit as the traffic listeners; CONNECT tunnels count until they close.
    this.server.maxConnections = limits.maxConnectionsPerListener;
    this.server.on('drop', () => stats.overflow(this.#address));
    this.server.on('connection', (socket: Socket) => {
      stats.track(this.#address, socket);
      // Asked at once, so the answer is usually there when the first request has been read.
      void callers.check(socket);
    });
    this.server.on(
      'connect',
      (req: IncomingMessage, socket: Socket, head: Buffer) =>
        void this.#admitted(req.socket, socket, () => this.#connect(req, socket, head)),
    );
    this.server.on(
      'upgrade',
      (req: IncomingMessage, socket: Socket, head: Buffer) =>
        void this.#admitted(req.socket, socket, () => this.#upgrade(req, socket, head)),
    );
  }

  /** Runs `serve` for an admitted caller; a refused one gets 403 and the connection is closed. */
  async #admitted(caller: Socket, reply: Socket | ServerResponse, serve: () => void): Promise<void> {
    // A CONNECT or upgrade socket has left the HTTP server, and its error listener with it: a reset
    // while the verdict is pending, after a refusal or after a short answer (400) must not end the
    // process. Whoever serves the socket afterwards adds its own handling.
    if (!(reply instanceof ServerResponse)) reply.on('error', () => undefined);
    const verdict = await this.callers.check(caller);
    if (caller.destroyed) return;
    if (verdict.allowed) return serve();
    const body = `mesh-proxy: this forward proxy speaks with the workload's identity: ${verdict.reason}\n`;
    if (reply instanceof ServerResponse) localReply(reply, 403, body, { connection: 'close' });
    else
      reply.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
  }

  listen(host: string, port: number): Promise<void> {
    this.#address = listenerAddress(host, port);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        // An accept error (EMFILE) must not end the process; Node keeps listening.
        this.server.on('error', () => undefined);
        resolve();
      });
    });
  }

  /** The outbound connection an absolute-form request stands for, or why there is none. */
  #outbound(req: IncomingMessage): DownstreamConnection | string {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      return 'this is a forward proxy: send absolute-form http:// requests or CONNECT';
    }
    const port = Number(url.port || 80);
    const config = this.deps.snapshot().config;
    const { address } = resolveExplicitDestination(config, url.hostname, port, this.namespace);
    const receiving = config.listeners.find((l) => l.use_original_dst?.value === true);
    const listener = receiving && originalDestinationListener(config.listeners, receiving, address, port);
    const chain =
      listener &&
      selectFilterChain(listener, { port, address, transportProtocol: 'raw_buffer', alpn: ['http/1.1'] });
    const compiled = listener && chain && compiledFilterChain(listener, chain);
    if (!listener || !compiled?.http) return `no HTTP listener for ${url.host} in the mesh configuration`;
    req.url = `${url.pathname}${url.search}`;
    req.headers.host = url.host;
    delete req.headers['proxy-connection'];
    return {
      direction: 'outbound',
      listener: listener.name,
      chain: compiled.name,
      hcm: compiled.http.config,
      tls: false,
      localAddress: address,
      localPort: port,
      remoteAddress: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort ?? 0,
      originalDestination: { host: address, port },
    };
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.#outbound(req);
    if (typeof connection === 'string')
      localReply(res, connection.startsWith('this is') ? 400 : 502, connection);
    else void handleRequest(req, res, connection, this.deps);
  }

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const connection = this.#outbound(req);
    if (typeof connection === 'string') socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n`);
    else handleUpgrade(req, socket, head, connection, this.deps, this.server);
  }

  #connect(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? '');
    if (!match) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const port = Number(match[2]);
    const { address } = resolveExplicitDestination(
      this.deps.snapshot().config,
      match[1] as string,
      port,
      this.namespace,
    );
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    this.traffic.dispatchOutbound(socket, address, port);
  }

  /** Stops accepting and closes idle connections; `force` also closes those still busy. */
  close(force = false): void {
    this.server.close();
    if (force) this.server.closeAllConnections();
    else this.server.closeIdleConnections();
  }
}
