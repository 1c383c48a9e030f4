import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Envoy's listener and HTTP connection manager statistics for the downstream limits, named and
 * tagged as Envoy's `/stats/prometheus` prints them (`envoy_listener_address` is the listener's
 * `<ip>_<port>`, `envoy_http_conn_manager_prefix` the HCM's `stat_prefix`), so Envoy dashboards
 * and alerts on them work. Like Envoy's, the counters carry no `_total` suffix; a family appears
 * with its first sample.
 */

type ListenerLabel = 'envoy_listener_address';
type HttpLabel = 'envoy_http_conn_manager_prefix';

export class DownstreamStats {
  readonly #active: Gauge<ListenerLabel>;
  readonly #overflow: Counter<ListenerLabel>;
  readonly #listenerFilterTimeout: Counter<ListenerLabel>;
  readonly #handshakeTimeout: Counter<ListenerLabel>;
  readonly #headerTimeout: Counter<HttpLabel>;
  readonly #idleTimeout: Counter<HttpLabel>;

  constructor(registry: Registry) {
    const registers = [registry];
    const listener = ['envoy_listener_address'] as const;
    const http = ['envoy_http_conn_manager_prefix'] as const;
    this.#active = new Gauge({
      name: 'envoy_listener_downstream_cx_active',
      help: 'Total active connections',
      labelNames: listener,
      registers,
    });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.#overflow = counter(
      'envoy_listener_downstream_cx_overflow',
      'Total connections rejected due to enforcement of listener connection limit',
      listener,
    );
    this.#listenerFilterTimeout = counter(
      'envoy_listener_downstream_pre_cx_timeout',
      'Sockets that timed out during listener filter processing',
      listener,
    );
    this.#handshakeTimeout = counter(
      'envoy_listener_downstream_cx_transport_socket_connect_timeout',
      'Total connections that timed out during transport socket connection negotiation',
      listener,
    );
    this.#headerTimeout = counter(
      'envoy_http_downstream_rq_header_timeout',
      'Total requests closed due to a timeout before the request headers completed',
      http,
    );
    this.#idleTimeout = counter(
      'envoy_http_downstream_cx_idle_timeout',
      'Total connections closed due to idle timeout',
      http,
    );
  }

  /** Counts a connection a listener accepted until it closes. */
  track(listenerAddress: string, socket: { once(event: 'close', listener: () => void): unknown }): void {
    const labels = { envoy_listener_address: listenerAddress };
    this.#active.inc(labels);
    socket.once('close', () => this.#active.dec(labels));
  }

  overflow(listenerAddress: string): void {
    this.#overflow.inc({ envoy_listener_address: listenerAddress });
  }

  listenerFilterTimeout(listenerAddress: string): void {
    this.#listenerFilterTimeout.inc({ envoy_listener_address: listenerAddress });
  }

  handshakeTimeout(listenerAddress: string): void {
    this.#handshakeTimeout.inc({ envoy_listener_address: listenerAddress });
  }

  headerTimeout(statPrefix: string): void {
    this.#headerTimeout.inc({ envoy_http_conn_manager_prefix: statPrefix });
  }

  idleTimeout(statPrefix: string): void {
    this.#idleTimeout.inc({ envoy_http_conn_manager_prefix: statPrefix });
  }
}

/** A listener's `envoy_listener_address`: its bound address and port, as Envoy names listeners. */
export function listenerAddress(address: string | undefined, port: number | undefined): string {
  return `${address ?? ''}_${port ?? 0}`;
}
