import { createServer, type Server, type Socket } from 'node:net';

import { originalDestinationListener, type EnvoyListener } from '@mesh/xds';

import { originalDestination } from '../capture/index.js';
import { listenerAddress } from '../telemetry/index.js';
import type { InboundConnectionLog } from '../admin/inbound-connections.js';
import { dispatchConnection, type DispatchParts } from './connection-dispatch.js';
import { routerListenerOn } from './router-listeners.js';

/**
 * The sockets the proxy listens on for traffic. Transparent mode (iptables): `virtualOutbound`
 * (15001) and `virtualInbound` (15006), the original destination read with SO_ORIGINAL_DST.
 * Explicit mode (local platform): one inbound listener per application port on the workload's own
 * address (the original destination is that address and port); outbound goes through the HTTP
 * proxy listener instead. Each listener holds at most `maxConnectionsPerListener` connections:
 * beyond that Node closes a new connection as soon as it is accepted (Envoy's listener connection
 * limit, `downstream_cx_overflow`), so a flood cannot take the descriptors readiness needs.
 */

export const VIRTUAL_INBOUND = 'virtualInbound';

function listen(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export class TrafficListeners {
  readonly servers: Server[] = [];
  readonly #sockets = new Set<Socket>();

  constructor(private readonly parts: DispatchParts) {}

  /** Who connected to the inbound listeners, for the admin's `/inbound_connections`. */
  get inbound(): InboundConnectionLog {
    return this.parts.inbound;
  }

  #listenerNamed(name: string): EnvoyListener | undefined {
    return this.parts.deps.snapshot().config.listeners.find((l) => l.name === name);
  }

  /** A listening socket that counts and caps its connections and survives accept errors (EMFILE). */
  #server(host: string, port: number, onConnection: (socket: Socket) => void): Server {
    const { limits, stats } = this.parts.deps.downstream;
    const address = listenerAddress(host, port);
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.setNoDelay(true);
      stats.track(address, socket);
      onConnection(socket);
    });
    server.maxConnections = limits.maxConnectionsPerListener;
    server.on('drop', () => stats.overflow(address));
    server.on('error', (err) => this.parts.log({ listener: address, error: err.message }, 'accept failed'));
    return server;
  }

  #inbound(socket: Socket, address: string, port: number): void {
    const listener = this.#listenerNamed(VIRTUAL_INBOUND);
    if (!listener) {
      socket.destroy(); // not configured yet: Envoy has no listener bound either
      return;
    }
    void dispatchConnection(socket, { direction: 'inbound', listener, address, port }, this.parts);
  }

  /** Transparent inbound: everything iptables redirected to `port` (15006). */
  async listenVirtualInbound(host: string, port: number): Promise<void> {
    const server = this.#server(host, port, (socket) => {
      const original = originalDestination(socket);
      this.#inbound(socket, original?.address ?? socket.localAddress ?? '', original?.port ?? port);
    });
    this.servers.push(await listen(server, host, port));
  }

  /** Explicit inbound: the application's port on the workload's address. */
  async listenInboundPort(host: string, port: number): Promise<void> {
    const server = this.#server(host, port, (socket) => {
      this.#inbound(socket, host, port);
    });
    this.servers.push(await listen(server, host, port));
  }

  /** Transparent outbound: `virtualOutbound` hands each connection to the listener of its original destination. */
  async listenVirtualOutbound(host: string, port: number): Promise<void> {
    const server = this.#server(host, port, (socket) => {
      const original = originalDestination(socket) ?? { address: socket.localAddress ?? '', port };
      this.dispatchOutbound(socket, original.address, original.port);
    });
    this.servers.push(await listen(server, host, port));
  }

  /**
   * Router mode: a port bound as one of istiod's listeners says (`0.0.0.0_8080`). Each connection goes
   * to the listener on that port in the current config; none (removed since) closes it.
   */
  async listenRouterPort(host: string, port: number): Promise<Server> {
    const server = this.#server(host, port, (socket) => {
      const listener = routerListenerOn(this.parts.deps.snapshot().config.listeners, port);
      if (!listener) {
        socket.destroy();
        return;
      }
      void dispatchConnection(socket, { direction: 'outbound', listener, address: host, port }, this.parts);
    });
    this.servers.push(await listen(server, host, port));
    return server;
  }

  /** Sends an outbound connection to `address:port` through the listener Envoy would pick for it. */
  dispatchOutbound(socket: Socket, address: string, port: number): void {
    const listeners = this.parts.deps.snapshot().config.listeners;
    const receiving = listeners.find((l) => l.use_original_dst?.value === true);
    if (!receiving) {
      socket.destroy();
      return;
    }
    const listener = originalDestinationListener(listeners, receiving, address, port);
    void dispatchConnection(socket, { direction: 'outbound', listener, address, port }, this.parts);
  }

  /** Stops accepting; open connections are left to finish (drain). */
  stopAccepting(): void {
    for (const server of this.servers) server.close();
  }

  destroyOpenConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  get openConnections(): number {
    return this.#sockets.size;
  }
}
