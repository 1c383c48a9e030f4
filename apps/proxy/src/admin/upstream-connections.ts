import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

import { upstreamTlsOf, type UpstreamTls } from '@mesh/xds';

import type { UpstreamEndpoint } from '../clusters/cluster-manager.js';
import { peerPrincipal } from '../tls/peer-identity.js';

/**
 * The proxy's last upstream connections, for the admin's `/upstream_connections` (ours, not Envoy's:
 * Envoy keeps no such list): per connection the cluster and endpoint, the TLS the cluster asked for,
 * whether the handshake completed and the identity of the server it verified. `meshctl tls-check`
 * shows them as the live proof of what the sidecar did. A bounded ring: memory stays constant however
 * many connections the proxy opens.
 */

export interface UpstreamConnectionRecord {
  /** When the connection was established or failed (ISO 8601). */
  at: string;
  cluster: string;
  /** `host:port` the proxy connected to. */
  upstream: string;
  /** The TLS the endpoint's transport socket originates, in DestinationRule terms. */
  tls: UpstreamTls;
  outcome: 'connected' | 'failed';
  /** The server's verified SPIFFE identity (`spiffe://...`), for mTLS connections that completed. */
  peer?: string;
  /** The negotiated ALPN protocol, when TLS. */
  alpn?: string;
  error?: string;
}

/** How many connections the ring keeps. */
export const UPSTREAM_CONNECTION_HISTORY = 100;

export class UpstreamConnectionLog {
  readonly #ring: UpstreamConnectionRecord[] = [];

  constructor(private readonly capacity = UPSTREAM_CONNECTION_HISTORY) {}

  /** Follows one new upstream socket: recorded once it connects (TLS: once the handshake completes) or fails. */
  watch(socket: Socket, endpoint: UpstreamEndpoint): void {
    const base = {
      cluster: endpoint.cluster,
      upstream: `${endpoint.host}:${endpoint.port}`,
      tls: upstreamTlsOf(endpoint.transport),
    };
    const connected = () => {
      socket.off('error', failed);
      const tls = socket as TLSSocket;
      const principal = endpoint.transport ? peerPrincipal(tls) : undefined;
      const alpn = endpoint.transport && typeof tls.alpnProtocol === 'string' ? tls.alpnProtocol : undefined;
      this.#add({
        at: new Date().toISOString(),
        ...base,
        outcome: 'connected',
        ...(principal ? { peer: `spiffe://${principal}` } : {}),
        ...(alpn ? { alpn } : {}),
      });
    };
    const failed = (err: Error) => {
      socket.off(endpoint.transport ? 'secureConnect' : 'connect', connected);
      this.#add({ at: new Date().toISOString(), ...base, outcome: 'failed', error: err.message });
    };
    socket.once(endpoint.transport ? 'secureConnect' : 'connect', connected);
    socket.once('error', failed);
  }

  /** Newest first. */
  list(): UpstreamConnectionRecord[] {
    return [...this.#ring].reverse();
  }

  #add(record: UpstreamConnectionRecord): void {
    this.#ring.push(record);
    if (this.#ring.length > this.capacity) this.#ring.shift();
  }
}
