import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

import type { DownstreamTls } from '@mesh/xds';

import type { InboundConnectionLog } from '../admin/inbound-connections.js';
import { clientCertificateOf } from '../http/forwarded-client-cert.js';
import type { HttpDependencies } from '../http/http-stream-context.js';
import type { HttpServers } from '../http/http-servers.js';
import { chooseFilterChain, downstreamConnectionOf, type DispatchTarget } from './chain-selection.js';
import { sniffConnection, type SniffedConnection } from './connection-sniffing.js';
import { proxyTcp } from '../tcp/tcp-proxy.js';
import { listenerAddress } from '../telemetry/index.js';
import { peerPrincipal } from '../tls/peer-identity.js';
import type { WorkloadTls } from '../tls/workload-tls.js';

/**
 * What every listener does with an accepted connection once it knows the original destination:
 * inspect the first bytes when the listener's chains need it (tls_inspector, http_inspector), pick
 * the filter chain with Envoy's rules, terminate TLS if the chain says so (which is where STRICT mTLS
 * refuses a client without a certificate), and hand the connection to the HTTP connection manager
 * or to tcp_proxy.
 */

export interface DispatchParts {
  deps: HttpDependencies;
  servers: HttpServers;
  tls: WorkloadTls;
  /** Who reached the inbound listeners and over which chain, for the admin's `/inbound_connections`. */
  inbound: InboundConnectionLog;
  log: (fields: Record<string, unknown>, message: string) => void;
}

/**
 * Envoy's listener filters under `listener_filters_timeout`: a server-first protocol sends nothing
 * and goes on as plaintext (`continue_on_listener_filters_timeout`, as Istio sets it), counted.
 */
async function inspect(socket: Socket, parts: DispatchParts): Promise<SniffedConnection> {
  const { limits, stats } = parts.deps.downstream;
  const sniffed = await sniffConnection(socket, limits.listenerFiltersTimeoutMs);
  if (sniffed.timedOut) stats.listenerFilterTimeout(listenerAddress(socket.localAddress, socket.localPort));
  return sniffed;
}

/**
 * TLS termination under Envoy's `transport_socket_connect_timeout`: a client that stops mid-handshake
 * is cut when the limit passes (`downstream_cx_transport_socket_connect_timeout`).
 */
async function acceptTls(
  socket: Socket,
  tls: DownstreamTls,
  parts: DispatchParts,
): Promise<TLSSocket | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), parts.deps.downstream.limits.tlsHandshakeTimeoutMs);
  });
  try {
    return await Promise.race([parts.tls.accept(socket, tls), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function dispatchConnection(
  socket: Socket,
  target: DispatchTarget,
  parts: DispatchParts,
): Promise<void> {
  socket.on('error', () => undefined);
  const choice = await chooseFilterChain(socket, target, (s) => inspect(s, parts));
  let sniffed = choice.sniffed;
  const chain = choice.chain;
  if (!chain) {
    parts.log(
      { listener: target.listener.name, port: target.port, transport: sniffed?.transportProtocol },
      'no filter chain matched; connection closed',
    );
    socket.destroy();
    return;
  }
  const connection = downstreamConnectionOf(socket, target, chain, sniffed);
  let stream: Socket = socket;
  if (chain.tls) {
    try {
      const secure = await acceptTls(socket, chain.tls, parts);
      if (secure === 'timeout') {
        parts.deps.downstream.stats.handshakeTimeout(listenerAddress(socket.localAddress, socket.localPort));
        parts.log(
          { listener: target.listener.name, chain: connection.chain },
          'downstream TLS handshake timed out',
        );
        socket.destroy();
        return;
      }
      stream = secure;
      connection.tls = true;
      const principal = peerPrincipal(secure);
      if (principal) connection.peerPrincipal = principal;
      const clientCertificate = clientCertificateOf(secure);
      if (clientCertificate) connection.clientCertificate = clientCertificate;
      secure.on('error', () => undefined);
      const negotiated = secure.alpnProtocol;
      sniffed = { transportProtocol: 'tls', alpn: [], plaintext: negotiated === 'h2' ? 'h2c' : 'http1' };
    } catch (err) {
      parts.log(
        { listener: target.listener.name, chain: connection.chain, error: (err as Error).message },
        'downstream TLS handshake failed',
      );
      socket.destroy();
      return;
    }
  }
  if (target.direction === 'inbound') {
    parts.inbound.record({
      address: connection.remoteAddress,
      port: target.port,
      mtls: connection.peerPrincipal !== undefined,
      ...(connection.peerPrincipal ? { peer: `spiffe://${connection.peerPrincipal}` } : {}),
      listener: connection.listener,
      chain: connection.chain,
    });
  }
  if (chain.http === undefined) {
    proxyTcp(stream, chain, connection, parts.deps);
    return;
  }
  // HTTP clients speak first, so reading the first bytes never waits on a server-first protocol here.
  if (!connection.tls && sniffed?.plaintext === undefined) sniffed = await inspect(socket, parts);
  parts.log(
    {
      listener: connection.listener,
      chain: connection.chain,
      tls: connection.tls,
      protocol: sniffed?.plaintext,
    },
    'connection dispatched to the HTTP connection manager',
  );
  // HTTP/2 sessions read the socket's handle directly: the sniffed preface must be replayed to them.
  if (sniffed?.plaintext === 'h2c') parts.servers.http2(stream, connection, !connection.tls);
  else parts.servers.http1(stream, connection);
}
