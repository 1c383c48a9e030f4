import { readFileSync } from 'node:fs';

/**
 * How long a downstream peer may take, and how many connections a listener holds, before the proxy
 * cuts it off: what keeps slow or numerous clients (slowloris, half-open TLS) from holding every file
 * descriptor while readiness and xDS still need some. Each is a `mesh-proxy` flag.
 */
export interface DownstreamLimits {
  /** TLS and HTTP inspection of the first bytes; then the connection continues as plaintext. */
  listenerFiltersTimeoutMs: number;
  /** From the chosen filter chain to a finished TLS handshake. */
  tlsHandshakeTimeoutMs: number;
  /** From a request's first byte (or a new connection) to the end of its HTTP/1.1 headers. */
  requestHeadersTimeoutMs: number;
  /** An HTTP connection with no request in flight (HTTP/2: no frames) is closed after this. */
  idleTimeoutMs: number;
  /** Connections each listener holds at once; more are closed as soon as they are accepted. */
  maxConnectionsPerListener: number;
}

export const DOWNSTREAM_LIMIT_DEFAULTS = {
  /**
   * Envoy's `listener_filters_timeout` is 15 s and Istio sets it from `protocolDetectionTimeout`
   * with `continue_on_listener_filters_timeout`: on timeout the connection goes on as plaintext. 5 s,
   * because a server-first protocol (MySQL) waits this long for its first byte.
   */
  listenerFiltersTimeout: '5s',
  /**
   * Envoy's `transport_socket_connect_timeout` has no default and Istio sets none, so a client that
   * sends a ClientHello and stops holds the connection for ever. A mesh peer finishes in
   * milliseconds; 10 s is also the bound Go's HTTP transport puts on its handshakes.
   */
  tlsHandshakeTimeout: '10s',
  /**
   * Envoy's `request_headers_timeout` is unset by default (and in Istio), Node's own default is 60 s.
   * Clients send a header block in one write, so 10 s (common in hardened Envoy configurations) only
   * cuts clients that trickle.
   */
  requestHeadersTimeout: '10s',
  /** Envoy's HTTP `idle_timeout` default (`common_http_protocol_options`), which Istio keeps. */
  idleTimeout: '1h',
} as const;

/**
 * Connections a listener may hold when `--max-connections` is not given: an eighth of the open-file
 * limit, so two busy listeners (each proxied connection holds a descriptor upstream too) use half of
 * it and the admin, readiness and xDS sockets always find one. Envoy has no per-listener default and
 * Istio sets `global_downstream_max_connections` to 2^31-1, which only protects a process whose
 * descriptor limit is higher still; Node cannot raise its own limit.
 */
export function defaultConnectionLimit(): number {
  return connectionLimitFor(openFileLimit());
}

/** The default limit for an open-file limit (4096 where it cannot be read). */
export function connectionLimitFor(openFiles: number | undefined): number {
  return openFiles === undefined ? 4096 : Math.max(64, Math.floor(openFiles / 8));
}

/** The soft `RLIMIT_NOFILE` of this process (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}
