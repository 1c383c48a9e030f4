import type { Socket } from 'node:net';

import {
  compiledFilterChain,
  selectFilterChain,
  type CompiledFilterChain,
  type EnvoyListener,
} from '@mesh/xds';

import type { DownstreamConnection } from '../http/http-stream-context.js';
import type { SniffedConnection } from './connection-sniffing.js';

/**
 * The proxy's half of Envoy's filter chain selection: what the listener filters (tls_inspector,
 * http_inspector) learn from the first bytes, when the listener's chains need it, handed to libs/xds's
 * selection; the chosen chain was compiled when its listener was accepted. The traffic simulation
 * selects with the same function from what a call declares; a test holds the two to the same answers.
 */

export interface DispatchTarget {
  direction: 'inbound' | 'outbound';
  listener: EnvoyListener;
  /** The original destination. */
  address: string;
  port: number;
}

function needsInspection(listener: EnvoyListener): boolean {
  return (listener.filter_chains ?? []).some((c) => {
    const m = c.filter_chain_match ?? {};
    return (
      m.transport_protocol !== undefined ||
      (m.server_names?.length ?? 0) > 0 ||
      (m.application_protocols?.length ?? 0) > 0
    );
  });
}

/** The connection's chain (undefined: no chain matches, the connection is closed) and what was sniffed. */
export async function chooseFilterChain(
  socket: Socket,
  target: DispatchTarget,
  inspect: (socket: Socket) => Promise<SniffedConnection>,
): Promise<{ chain: CompiledFilterChain | undefined; sniffed: SniffedConnection | undefined }> {
  const sniffed = needsInspection(target.listener) ? await inspect(socket) : undefined;
  const selected = selectFilterChain(target.listener, {
    port: target.port,
    address: target.address,
    transportProtocol: sniffed?.transportProtocol ?? 'raw_buffer',
    alpn: sniffed?.alpn ?? [],
    ...(sniffed?.sni ? { sni: sniffed.sni } : {}),
  });
  return { chain: selected && compiledFilterChain(target.listener, selected), sniffed };
}

/** What the HTTP manager and tcp_proxy know of the connection before any TLS is terminated. */
export function downstreamConnectionOf(
  socket: Socket,
  target: DispatchTarget,
  chain: CompiledFilterChain,
  sniffed: SniffedConnection | undefined,
): DownstreamConnection {
  return {
    direction: target.direction,
    listener: target.listener.name,
    chain: chain.name,
    hcm: chain.http?.config ?? {},
    tls: false,
    localAddress: target.address,
    localPort: target.port,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    originalDestination: { host: target.address, port: target.port },
    ...(sniffed?.sni ? { sni: sniffed.sni } : {}),
  };
}
