import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

import { Pool } from 'undici';

import { UpstreamConnectionLog } from '../admin/upstream-connections.js';
import type { UpstreamEndpoint } from '../clusters/cluster-manager.js';
import { peerPrincipal } from '../tls/peer-identity.js';
import type { WorkloadTls } from '../tls/workload-tls.js';

/**
 * Upstream connections: an undici pool per endpoint for HTTP/1.1 (keep-alive, pipelining off as
 * Envoy's default), one HTTP/2 session per endpoint for h2 and gRPC (streams multiplexed), and single
 * connections for TCP. TLS follows the endpoint's transport socket; Istio's ALPN override tells the
 * peer sidecar which protocol the mTLS connection carries.
 */

/** Istio's `istio_alpn` override, the standard protocol last so non-Istio servers still negotiate. */
export const ISTIO_ALPN = {
  http1: ['istio-http/1.1', 'istio', 'http/1.1'],
  h2: ['istio-h2', 'istio', 'h2'],
} as const;

const transportKeys = new WeakMap<object, string>();

/** A stable key for a transport socket config (new objects with equal content share pools). */
function transportKey(endpoint: UpstreamEndpoint): string {
  if (!endpoint.transport) return 'plaintext';
  let key = transportKeys.get(endpoint.transport);
  if (key === undefined) {
    key = JSON.stringify(endpoint.transport);
    transportKeys.set(endpoint.transport, key);
  }
  return key;
}

export class UpstreamPools {
  readonly #http1 = new Map<string, { endpointKey: string; pool: Pool }>();
  readonly #http2 = new Map<string, { endpointKey: string; session: ClientHttp2Session }>();
  /** The verified identity of each mTLS endpoint's server, for telemetry (`destination_principal`). */
  readonly #principals = new Map<string, string>();
  /** The last connections, for the admin's `/upstream_connections`. */
  readonly history = new UpstreamConnectionLog();

  constructor(
    private readonly tls: WorkloadTls,
    private readonly connectTimeoutMs = 10_000,
  ) {}

  /** Opens a connection to the endpoint, TLS as its transport socket says, offering `alpn` when TLS. */
  connect(endpoint: UpstreamEndpoint, alpn?: readonly string[]): Socket {
    const target = { host: endpoint.host, port: endpoint.port };
    const socket = endpoint.transport
      ? this.tls.connect(target, endpoint.transport, alpn)
      : netConnect(target);
    socket.setNoDelay(true);
    this.history.watch(socket, endpoint);
    return socket;
  }

  http1(endpoint: UpstreamEndpoint): Pool {
    const key = `${endpoint.key}|${transportKey(endpoint)}`;
    let entry = this.#http1.get(key);
    if (!entry) {
      const pool = new Pool(`http://${endpoint.host}:${endpoint.port}`, {
        connectTimeout: this.connectTimeoutMs,
        keepAliveTimeout: 60_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: (_options, callback) => {
          const socket = this.connect(endpoint, endpoint.transport ? ISTIO_ALPN.http1 : undefined);
          const ready = endpoint.transport ? 'secureConnect' : 'connect';
          const onError = (err: Error) => callback(err, null);
          socket.once('error', onError);
          socket.once(ready, () => {
            socket.off('error', onError);
            const principal = endpoint.transport ? peerPrincipal(socket as TLSSocket) : undefined;
            if (principal) this.#principals.set(endpoint.key, principal);
            callback(null, socket);
          });
          return socket;
        },
      });
      entry = { endpointKey: endpoint.key, pool };
      this.#http1.set(key, entry);
    }
    return entry.pool;
  }

  upstreamPrincipal(endpoint: UpstreamEndpoint): string | undefined {
    return endpoint.transport ? this.#principals.get(endpoint.key) : undefined;
  }

  http2(endpoint: UpstreamEndpoint): ClientHttp2Session {
    const key = `${endpoint.key}|${transportKey(endpoint)}`;
    const existing = this.#http2.get(key);
    if (existing && !existing.session.closed && !existing.session.destroyed) return existing.session;
    const scheme = endpoint.transport ? 'https' : 'http';
    const session = http2Connect(`${scheme}://${endpoint.host}:${endpoint.port}`, {
      createConnection: () => this.connect(endpoint, endpoint.transport ? ISTIO_ALPN.h2 : undefined),
    });
    session.on('error', () => undefined); // surfaced on the streams that were using it
    // The server's identity, read once per session (getPeerCertificate parses the certificate).
    if (endpoint.transport)
      session.once('connect', () => {
        const principal = peerPrincipal(session.socket as unknown as TLSSocket);
        if (principal) this.#principals.set(endpoint.key, principal);
      });
    session.once('close', () => {
      if (this.#http2.get(key)?.session === session) this.#http2.delete(key);
    });
    this.#http2.set(key, { endpointKey: endpoint.key, session });
    return session;
  }

  /** Closes (gracefully: in-flight requests finish) the connections of endpoints no longer in use. */
  retain(endpointKeys: ReadonlySet<string>): void {
    for (const [key, { endpointKey, pool }] of this.#http1)
      if (!endpointKeys.has(endpointKey)) {
        this.#http1.delete(key);
        this.#principals.delete(endpointKey);
        void pool.close().catch(() => undefined);
      }
    for (const [key, { endpointKey, session }] of this.#http2)
      if (!endpointKeys.has(endpointKey)) {
        this.#http2.delete(key);
        this.#principals.delete(endpointKey);
        session.close();
      }
  }

  async close(): Promise<void> {
    const pools = [...this.#http1.values()].map(({ pool }) => pool.close().catch(() => undefined));
    for (const { session } of this.#http2.values()) session.close();
    this.#http1.clear();
    this.#http2.clear();
    await Promise.all(pools);
  }
}
