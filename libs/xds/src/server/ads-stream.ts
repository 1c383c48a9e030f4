import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';

import { structToJson } from '../codec/struct.js';
import type { NodeMessage } from '../protocol/discovery-messages.js';
import type { EncodedMessage } from '../protocol/wire.js';
import { resourceTypeFor } from '../resources/registry.js';
import { comparePushOrder, shortNameOf } from '../type-urls.js';
import type { ResourceSource, XdsConnection } from './resource-source.js';
import type { AdsServerHooks, ConnectionStatus, XdsLogger } from './server-hooks.js';
import { TypeSubscription } from './type-subscription.js';

export interface StreamContext {
  source: ResourceSource;
  hooks: AdsServerHooks;
  logger: XdsLogger;
  /** How long a response may wait for the client to read before the stream is dropped. */
  sendTimeoutMs: number;
  /** Decides whether a client may speak as the node it names; a reason refuses the stream. */
  authorize?: (connection: XdsConnection) => string | undefined;
}

interface PendingPush {
  /** undefined: everything in the subscription. */
  names: Set<string> | undefined;
  /** Answering a request: respond even when nothing changed. */
  fromRequest: boolean;
}

/**
 * Machinery shared by the SotW and delta streams: node identity, subscriptions, a coalescing push
 * queue (at most one pending entry per type, so memory is bounded however fast pushes arrive), ordered
 * sending with back-pressure, and disconnection of clients that stop reading.
 */
export abstract class AdsStream<Req, Res> {
  readonly subscriptions = new Map<string, TypeSubscription>();
  private readonly pending = new Map<string, PendingPush>();
  private pendingPushes = 0;
  private processing = false;
  private nonceCounter = 0;
  private closed = false;

  constructor(
    protected readonly call: ServerDuplexStream<Req, Res>,
    readonly connection: XdsConnection,
    protected readonly ctx: StreamContext,
    private readonly onClosed: (stream: AdsStream<Req, Res>, reason: string) => void,
  ) {
    call.on('data', (request: Req) => this.safely(() => this.onRequest(request)));
    call.on('end', () => {
      this.close('client closed the stream');
      // A half-close ends the conversation: finish the RPC with OK (go-control-plane returns when Recv
      // sees EOF). Without this the stream stays open on both sides and the client waits for a status
      // that never comes (grpc-js-xds half-closes its ADS stream when its last watch is cancelled).
      if (!call.destroyed && !call.writableEnded) call.end();
    });
    call.on('error', (err: Error) => this.close(`stream error: ${err.message}`));
    call.on('cancelled', () => this.close('client cancelled the stream'));
  }

  protected abstract onRequest(request: Req): void;

  /** Builds and sends the response for one type; `names` narrows it to what changed. */
  protected abstract respond(
    sub: TypeSubscription,
    names: Set<string> | undefined,
    fromRequest: boolean,
  ): Promise<void>;

  /** Queues a server-initiated push of these names (undefined: all) of a type, if the client cares. */
  push(typeUrl: string, names: ReadonlySet<string> | undefined): void {
    const sub = this.subscriptions.get(typeUrl);
    if (!sub || !sub.concerns(names)) return;
    this.enqueue(typeUrl, names, false);
  }

  protected enqueue(typeUrl: string, names: ReadonlySet<string> | undefined, fromRequest: boolean): void {
    if (this.closed) return;
    const existing = this.pending.get(typeUrl);
    if (!existing) {
      this.pending.set(typeUrl, { names: names ? new Set(names) : undefined, fromRequest });
    } else {
      if (existing.names && names) for (const name of names) existing.names.add(name);
      else existing.names = undefined;
      existing.fromRequest ||= fromRequest;
    }
    this.pendingPushes++;
    if (!this.processing) void this.drainQueue();
  }

  private async drainQueue(): Promise<void> {
    this.processing = true;
    try {
      while (this.pending.size > 0 && !this.closed) {
        const typeUrl = [...this.pending.keys()].sort(comparePushOrder)[0] as string;
        const next = this.pending.get(typeUrl) as PendingPush;
        this.pending.delete(typeUrl);
        if (this.pending.size === 0) this.pendingPushes = 0;
        const sub = this.subscriptions.get(typeUrl);
        if (sub) await this.respond(sub, next.names, next.fromRequest);
      }
    } catch (err) {
      this.ctx.logger.warn({ conn: this.connection.id, err: (err as Error).message }, 'xDS push failed');
      this.close(`push failed: ${(err as Error).message}`, GrpcStatus.INTERNAL);
    } finally {
      this.processing = false;
    }
  }

  /** Writes a response, waiting for the client to read when the transport is congested. */
  protected async write(response: Res | EncodedMessage): Promise<void> {
    if (this.closed) return;
    if (this.call.write(response as Res)) return;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.ctx.sendTimeoutMs);
      this.call.once('drain', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!drained) {
      this.close(
        `client too slow: response not read within ${this.ctx.sendTimeoutMs} ms (${this.pendingPushes} pushes pending)`,
        GrpcStatus.RESOURCE_EXHAUSTED,
      );
    }
  }

  protected nextNonce(): string {
    return `${this.connection.id}-${++this.nonceCounter}`;
  }

  protected subscription(typeUrl: string): { sub: TypeSubscription; created: boolean } {
    const existing = this.subscriptions.get(typeUrl);
    if (existing) return { sub: existing, created: false };
    const sub = new TypeSubscription(typeUrl);
    this.subscriptions.set(typeUrl, sub);
    return { sub, created: true };
  }

  /**
   * Takes the node from the first request that carries one. Returns false when the server refuses the
   * node (its claims disagree with the identity the client proved): the stream is then closed with
   * PERMISSION_DENIED and the request must not be served.
   */
  protected learnNode(node: NodeMessage | undefined): boolean {
    if (!node || this.connection.node.id) return !this.closed;
    this.connection.node = {
      id: node.id ?? '',
      cluster: node.cluster ?? '',
      metadata: structToJson(node.metadata),
      locality: node.locality,
      userAgent: [node.user_agent_name, node.user_agent_version].filter(Boolean).join('/') || undefined,
    };
    const refusal = this.ctx.authorize?.(this.connection);
    if (refusal !== undefined) {
      this.ctx.logger.warn(
        { conn: this.connection.id, node: this.connection.node.id, peer: this.connection.peer, refusal },
        'xDS client refused',
      );
      // Forget the node first, so the refused claim never reaches onDisconnect either.
      this.connection.node = { id: '', cluster: '', metadata: {} };
      this.close(`permission denied: ${refusal}`, GrpcStatus.PERMISSION_DENIED);
      return false;
    }
    this.ctx.logger.info(
      { conn: this.connection.id, node: this.connection.node.id, mode: this.connection.mode },
      'xDS client connected',
    );
    this.ctx.hooks.onConnect?.(this.connection);
    return true;
  }

  /** SotW and delta both treat an empty first subscription as wildcard for LDS/CDS (and unknown types). */
  protected legacyWildcard(typeUrl: string): boolean {
    return resourceTypeFor(typeUrl)?.sotwFullState ?? true;
  }

  protected recordNack(sub: TypeSubscription, version: string, nonce: string, message: string): void {
    sub.nack = { version, nonce, message, at: new Date() };
    this.ctx.logger.warn(
      {
        conn: this.connection.id,
        node: this.connection.node.id,
        type: shortNameOf(sub.typeUrl),
        nonce,
        error: message,
      },
      'xDS client rejected config (NACK)',
    );
    this.ctx.hooks.onNack?.(this.connection, { typeUrl: sub.typeUrl, version, nonce, message });
  }

  protected recordAck(sub: TypeSubscription, version: string, nonce: string): void {
    sub.ackedVersion = version;
    sub.nack = undefined;
    this.ctx.hooks.onAck?.(this.connection, { typeUrl: sub.typeUrl, version, nonce });
  }

  status(): ConnectionStatus {
    return {
      connection: this.connection,
      types: [...this.subscriptions.values()].map((sub) => sub.status()),
      pendingPushes: this.pendingPushes,
    };
  }

  /** Ends the stream (with a gRPC status when the server ends it) and forgets it. Idempotent. */
  close(reason: string, code?: GrpcStatus): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    // grpc-js ends a server stream with a status when 'error' is emitted on it (its documented way);
    // destroy() would drop the connection without telling the client why.
    if (code !== undefined && !this.call.destroyed)
      this.call.emit('error', Object.assign(new Error(reason), { code, details: reason }));
    this.ctx.logger.info(
      { conn: this.connection.id, node: this.connection.node.id, reason },
      'xDS client disconnected',
    );
    this.onClosed(this, reason);
    if (this.connection.node.id) this.ctx.hooks.onDisconnect?.(this.connection, reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.logger.warn({ conn: this.connection.id, err: (err as Error).message }, 'bad xDS request');
      this.close(`bad request: ${(err as Error).message}`, GrpcStatus.INVALID_ARGUMENT);
    }
  }
}
