import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

import type { DownstreamLimits } from '../listeners/downstream-limits.js';
import type { DownstreamStats } from '../telemetry/downstream-stats.js';
import { upgradeWithoutBody } from './upgrade-tunnel.js';

/**
 * The downstream limits on Node's HTTP/1.1 codec, for the listeners' HTTP connection managers and
 * the explicit-mode forward proxy alike: request headers must be complete within
 * `requestHeadersTimeoutMs` of their first byte (or of the connection), an idle keep-alive
 * connection closes after `idleTimeoutMs`, and both are counted with Envoy's statistics.
 */

const REQUEST_TIMEOUT_RESPONSE =
  'HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

export function http1ServerOptions(limits: DownstreamLimits): ServerOptions {
  return {
    keepAliveTimeout: limits.idleTimeoutMs,
    // Request bodies and responses may stream for as long as the route allows (Istio: no timeout).
    requestTimeout: 0,
    headersTimeout: limits.requestHeadersTimeoutMs,
    // Node checks the header deadlines on this interval (30 s by default): a quarter keeps them close.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, limits.requestHeadersTimeoutMs / 4)),
    shouldUpgradeCallback: upgradeWithoutBody,
  };
}

/**
 * Answers a header timeout with 408 (as Envoy does) and closes; closes idle connections; closes on
 * any other client error. `statPrefix` names the connection's HTTP manager for the counters.
 */
export function enforceHttp1Limits(
  server: Server,
  stats: DownstreamStats,
  statPrefix: (socket: Socket) => string,
): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable) {
      stats.headerTimeout(statPrefix(socket));
      socket.end(REQUEST_TIMEOUT_RESPONSE, () => socket.destroy());
      return;
    }
    socket.destroy();
  });
  // Fired only between requests: `server.timeout` stays 0, so the keep-alive timer is the only one.
  server.on('timeout', (socket: Socket) => {
    stats.idleTimeout(statPrefix(socket));
    socket.destroy();
  });
}

/**
 * Node enforces `headersTimeout` only on connections it tracks, and it starts tracking when the
 * server listens; a codec that only receives handed-over connections must be told, or a client that
 * trickles its headers holds the connection for ever. (`listening` runs Node's own setup; the
 * e2e sidecar-hardening test and the unit test of the HTTP codec fail if Node changes this.)
 */
export function trackHandedOverConnections(server: Server): void {
  server.emit('listening');
}
