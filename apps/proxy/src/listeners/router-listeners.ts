import type { Server } from 'node:net';

import type { EnvoyListener } from '@mesh/xds';

/**
 * Router mode (an Istio gateway, node `router~...`): nothing is captured; the proxy binds the ports of
 * the listeners istiod sends (`0.0.0.0_<port>`, one per Gateway port) and follows every accepted
 * config: a new port is bound, a port no listener has any more is closed. A port that cannot be bound
 * (in use, privileged) is reported and retried on the next config, never fatal: the other ports serve.
 */

/** The port a listener binds, if it binds one (not a virtual listener fed by original destination). */
export function boundPortOf(listener: EnvoyListener): number | undefined {
  const bindToPort = (listener as { bind_to_port?: { value?: boolean } }).bind_to_port?.value;
  if (listener.use_original_dst?.value === true || bindToPort === false) return undefined;
  const port = listener.address?.socket_address?.port_value;
  return port !== undefined && port > 0 ? port : undefined;
}

/** The listener bound on `port` in a config (the first, as Envoy refuses a second on one address). */
export function routerListenerOn(
  listeners: readonly EnvoyListener[],
  port: number,
): EnvoyListener | undefined {
  return listeners.find((l) => boundPortOf(l) === port);
}

export interface RouterPortBinder {
  listenRouterPort(host: string, port: number): Promise<Server>;
}

export class RouterListeners {
  readonly #bound = new Map<number, Server>();
  #applying: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: string,
    private readonly binder: RouterPortBinder,
    private readonly onError: (port: number, error: Error) => void,
  ) {}

  /** The ports bound now. */
  get ports(): number[] {
    return [...this.#bound.keys()].sort((a, b) => a - b);
  }

  /** Binds and closes ports to match a config; configs are applied one after another, in order. */
  apply(listeners: readonly EnvoyListener[]): Promise<void> {
    this.#applying = this.#applying.then(() => this.#reconcile(listeners));
    return this.#applying;
  }

  async #reconcile(listeners: readonly EnvoyListener[]): Promise<void> {
    const wanted = new Set(listeners.map(boundPortOf).filter((p): p is number => p !== undefined));
    for (const [port, server] of this.#bound)
      if (!wanted.has(port)) {
        server.close(); // open connections finish; new ones are refused
        this.#bound.delete(port);
      }
    for (const port of wanted) {
      if (this.#bound.has(port)) continue;
      try {
        this.#bound.set(port, await this.binder.listenRouterPort(this.host, port));
      } catch (error) {
        this.onError(port, error as Error);
      }
    }
  }
}
