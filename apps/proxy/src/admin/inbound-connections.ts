/**
 * The proxy's last inbound connections, for the admin's `/inbound_connections` (ours, not Envoy's):
 * per connection the caller's address, the application port it reached, and whether the chosen filter
 * chain made it mutual TLS (with the verified caller identity) or plaintext. `meshctl mtls readiness`
 * reads it to say who still sends plaintext to a PERMISSIVE workload, so who STRICT would refuse.
 *
 * Recorded once per connection when the listener has decided its chain, never per request. Memory is
 * bounded twice over: a ring of the last connections, and per-caller aggregates (address, port, mTLS
 * or not, identity) capped in entries, the least recently seen caller evicted first.
 */

export interface InboundConnection {
  /** The caller's address as the listener saw it. */
  address: string;
  /** The original destination port: the application port the caller asked for. */
  port: number;
  /** True when the chain terminated TLS and the caller presented a verified certificate. */
  mtls: boolean;
  /** The caller's verified SPIFFE identity (`spiffe://...`), for mutual TLS. */
  peer?: string;
  listener: string;
  chain: string;
}

export interface InboundConnectionRecord extends InboundConnection {
  /** When the connection was dispatched (ISO 8601). */
  at: string;
}

/** One caller as aggregated over every connection it made (the ring forgets, these count). */
export interface InboundCallerRecord {
  address: string;
  port: number;
  mtls: boolean;
  peer?: string;
  count: number;
  /** ISO 8601. */
  firstSeen: string;
  lastSeen: string;
}

/** How many connections the ring keeps. */
export const INBOUND_CONNECTION_HISTORY = 200;
/** How many distinct callers the aggregates keep. */
export const INBOUND_CALLER_LIMIT = 1000;

interface Timed<T> {
  value: T;
  at: number;
}

interface CallerCount {
  caller: InboundConnection;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export class InboundConnectionLog {
  readonly #ring: Timed<InboundConnection>[] = [];
  /** Map iteration order is insertion order: re-inserting on every hit keeps the stalest caller first. */
  readonly #callers = new Map<string, CallerCount>();

  constructor(
    private readonly capacity = INBOUND_CONNECTION_HISTORY,
    private readonly callerLimit = INBOUND_CALLER_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  record(connection: InboundConnection): void {
    const at = this.now();
    this.#ring.push({ value: connection, at });
    if (this.#ring.length > this.capacity) this.#ring.shift();
    const key = `${connection.address}|${connection.port}|${connection.mtls ? (connection.peer ?? '') : '-'}`;
    const known = this.#callers.get(key);
    if (known) {
      this.#callers.delete(key);
      known.count += 1;
      known.lastSeen = at;
      this.#callers.set(key, known);
      return;
    }
    this.#callers.set(key, { caller: connection, count: 1, firstSeen: at, lastSeen: at });
    if (this.#callers.size > this.callerLimit) {
      const stalest = this.#callers.keys().next().value;
      if (stalest !== undefined) this.#callers.delete(stalest);
    }
  }

  /** Newest first, both lists. */
  list(): { connections: InboundConnectionRecord[]; callers: InboundCallerRecord[] } {
    const connections = this.#ring
      .map(({ value, at }) => ({ at: new Date(at).toISOString(), ...value }))
      .reverse();
    const callers = [...this.#callers.values()].reverse().map(({ caller, count, firstSeen, lastSeen }) => ({
      address: caller.address,
      port: caller.port,
      mtls: caller.mtls,
      ...(caller.peer ? { peer: caller.peer } : {}),
      count,
      firstSeen: new Date(firstSeen).toISOString(),
      lastSeen: new Date(lastSeen).toISOString(),
    }));
    return { connections, callers };
  }
}
