import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import { KubeConfig } from '@kubernetes/client-node';

/**
 * A plain-HTTP loopback proxy in front of a real kube-apiserver (tools/kube-cluster), for the faults
 * only an intermediary can inject on demand: every watch answered with 410 Gone until its collection
 * is listed again (what a client sees when etcd compacted past its resourceVersion, which a real
 * cluster does on its own schedule), and the API server unreachable (connection refused) for as long
 * as a test needs. Everything else is forwarded unchanged, authenticated as the cluster's admin.
 */
export class FaultInjectingProxy {
  /** The collection paths of the list requests forwarded so far (watches excluded). */
  readonly lists: string[] = [];
  /** The collection paths of the watches answered 410 Gone. */
  readonly expired: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** After expireWatches(): the collections listed since, whose watches pass again. */
  private relisted: Set<string> | undefined;
  private port = 0;

  private constructor(private readonly upstream: KubeConfig) {
    this.server = createServer((req, res) => this.forward(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(upstream: KubeConfig): Promise<FaultInjectingProxy> {
    const proxy = new FaultInjectingProxy(upstream);
    await proxy.start();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A kubeconfig for the proxy (no credentials: the proxy adds the admin's). */
  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      // Plain HTTP on loopback: client-node refuses an http:// server unless told there is no TLS to verify.
      clusters: [{ name: 'proxy', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'proxy' }],
      contexts: [{ name: 'proxy', cluster: 'proxy', user: 'proxy' }],
      currentContext: 'proxy',
    });
    return config;
  }

  /**
   * Ends every open watch, and answers each later watch of the same collections with one ERROR event
   * carrying a 410 Expired Status (as kube-apiserver does for a compacted resourceVersion) until the
   * client lists that collection again.
   */
  expireWatches(): void {
    this.relisted = new Set();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Refuses connections (and drops open ones) until start(); the port stays the same. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const isWatch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    if (req.method === 'GET' && !isWatch) {
      this.lists.push(url.pathname);
      this.relisted?.add(url.pathname);
    }
    if (isWatch && this.relisted && !this.relisted.has(url.pathname)) {
      this.expired.push(url.pathname);
      return expiredWatch(res, url.searchParams);
    }

    const cluster = this.upstream.getCurrentCluster()!;
    const target = new URL(req.url ?? '/', cluster.server);
    const options: RequestOptions = {
      method: req.method,
      hostname: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      headers: { ...req.headers, host: target.host },
    };
    void this.upstream.applyToHTTPSOptions(options).then(() => {
      const upstream = request(options, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // A watch's headers arrive before its first event, and its client waits for them (as from
        // kube-apiserver, which flushes them at once): Node would hold them until the first body byte.
        res.flushHeaders();
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
  }
}

/** kube-apiserver's answer to a watch from a resourceVersion older than its history. */
function expiredWatch(res: ServerResponse, query: URLSearchParams): void {
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${query.get('resourceVersion') ?? ''}`,
    reason: 'Expired',
    code: 410,
  };
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
}
