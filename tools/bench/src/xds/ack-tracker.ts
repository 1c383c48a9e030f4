import { shortNameOf, type AdsServerHooks, type XdsConnection } from '@mesh/xds';

/** What one measured round observed, in ms from its start. */
export interface RoundResult {
  /** Every (connection, type) pair ACKed the last response the server sent it in the round. */
  allAckedMs: number;
  /** The server handed its last response of the round to gRPC (onPush fires after the write). */
  lastSentMs: number;
  responses: number;
  acks: number;
}

interface Sent {
  nonce: string;
  version: string;
}

/**
 * One measurement: waits until `connections` streams have each ACKed, for every type of the round, the
 * response the server last sent them. ACKs are matched by nonce and version to what onPush recorded,
 * so an ACK of an older response (still in flight when the push began) does not count. Either event
 * may come first: onPush fires after the write returns, and a fast client may ACK before that.
 */
class Round {
  readonly started = performance.now();
  private readonly sent = new Map<string, Sent>();
  private readonly acked = new Map<string, Sent>();
  private readonly complete = new Set<string>();
  private lastSentAt = this.started;
  private responses = 0;
  private acks = 0;
  readonly result: Promise<RoundResult>;
  private resolve!: (result: RoundResult) => void;
  private reject!: (error: Error) => void;

  constructor(
    readonly types: ReadonlySet<string>,
    private readonly expectedPairs: number,
  ) {
    this.result = new Promise<RoundResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  pushed(key: string, sent: Sent): void {
    this.responses++;
    this.lastSentAt = performance.now();
    this.sent.set(key, sent);
    // A newer response supersedes an ACK already counted for this pair.
    this.complete.delete(key);
    this.check(key);
  }

  ackReceived(key: string, ack: Sent): void {
    this.acks++;
    this.acked.set(key, ack);
    this.check(key);
  }

  fail(message: string): void {
    this.reject(new Error(message));
  }

  progress(): string {
    return `${this.complete.size}/${this.expectedPairs} (client, type) pairs ACKed, ${this.responses} responses sent, ${this.acks} ACKs`;
  }

  private check(key: string): void {
    const sent = this.sent.get(key);
    const ack = this.acked.get(key);
    if (!sent || !ack || sent.nonce !== ack.nonce || sent.version !== ack.version) return;
    this.complete.add(key);
    if (this.complete.size < this.expectedPairs) return;
    const now = performance.now();
    this.resolve({
      allAckedMs: now - this.started,
      lastSentMs: this.lastSentAt - this.started,
      responses: this.responses,
      acks: this.acks,
    });
  }
}

/**
 * Server hooks that turn pushes and ACKs into round timings. One round at a time; outside a round
 * the hooks only watch for NACKs and disconnects, which fail the round in progress.
 */
export class AckTracker {
  private round?: Round;

  readonly hooks: AdsServerHooks = {
    onPush: (connection, push) => {
      if (this.round?.types.has(push.typeUrl))
        this.round.pushed(keyOf(connection, push.typeUrl), { nonce: push.nonce, version: push.version });
    },
    onAck: (connection, ack) => {
      if (this.round?.types.has(ack.typeUrl))
        this.round.ackReceived(keyOf(connection, ack.typeUrl), { nonce: ack.nonce, version: ack.version });
    },
    onNack: (connection, nack) =>
      this.round?.fail(`${connection.node.id} NACKed ${shortNameOf(nack.typeUrl)}: ${nack.message}`),
    onDisconnect: (connection, reason) => this.round?.fail(`${connection.node.id} disconnected: ${reason}`),
  };

  /**
   * Starts a round for `types` across `connections` streams, runs `trigger` (the push, or asking the
   * fleet to connect) and returns the round's outcome. Time counts from just before `trigger`.
   */
  measure(types: readonly string[], connections: number, trigger: () => void): Promise<RoundResult> {
    const round = new Round(new Set(types), connections * types.length);
    this.round = round;
    const clear = () => {
      if (this.round === round) this.round = undefined;
    };
    round.result.then(clear, clear);
    trigger();
    return round.result;
  }

  /** Fails the round in progress (a fleet problem or a timeout), so nothing waits on it any more. */
  abort(message: string): void {
    this.round?.fail(message);
  }

  progress(): string {
    return this.round?.progress() ?? 'no round in progress';
  }
}

function keyOf(connection: XdsConnection, typeUrl: string): string {
  return `${connection.id} ${typeUrl}`;
}
