import { EventEmitter } from 'node:events';

import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientDuplexStream,
} from '@grpc/grpc-js';

import { jsonToStruct, type JsonValue } from '../codec/struct.js';
import { adsServiceDefinition } from '../protocol/ads-service.js';
import type { NodeMessage } from '../protocol/discovery-messages.js';
import { STANDARD_RESOURCE_TYPES } from '../resources/registry.js';
import type { XdsResourceType } from '../resources/resource-type.js';
import { silentLogger, type XdsLogger } from '../server/server-hooks.js';
import { shortNameOf } from '../type-urls.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { deltaProtocol, sotwProtocol, type ClientProtocol, type ParsedResponse } from './client-protocol.js';
import { decodeResponse, type DecodedResource } from './decode-response.js';
import { ClientTypeState, type ClientTypeStatus, type HeldResource, type NackRecord } from './type-state.js';

export interface AdsClientNode {
  id: string;
  cluster?: string;
  metadata?: Record<string, JsonValue>;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  userAgent?: { name: string; version: string };
}

export interface AdsClientOptions {
  /** `host:port` of the xDS server. */
  target: string;
  node: AdsClientNode;
  /** Default: delta, as Istio's proxies use. */
  protocol?: 'delta' | 'sotw';
  credentials?: ChannelCredentials;
  /**
   * Extra gRPC channel options. Clients in one process share a connection per target by default;
   * `{ 'grpc.use_local_subchannel_pool': 1 }` gives each its own, as separate proxies would have.
   */
  channelOptions?: ChannelOptions;
  resourceTypes?: ReadonlyMap<string, XdsResourceType>;
  /** Extra checks on a whole update before it is accepted (e.g. cross-resource references); issues → NACK. */
  validate?: (update: ResourceUpdate) => string[];
  backoff?: BackoffOptions;
  logger?: XdsLogger;
}

/** An accepted change of one type: what was added or replaced, and what was removed. */
export interface ResourceUpdate {
  typeUrl: string;
  version: string;
  updated: DecodedResource[];
  removed: string[];
}

export interface AdsClientEvents {
  update: [ResourceUpdate];
  nack: [{ typeUrl: string } & NackRecord];
  connected: [];
  disconnected: [{ reason: string; retryInMs: number }];
}

/**
 * An ADS client (the proxy's view of istiod): subscribes to types and names, validates every
 * response before accepting it, ACKs good updates and NACKs bad ones with every error found, keeping
 * the last good resources. On stream loss it reconnects with capped exponential backoff and
 * resubscribes, telling the server what it already holds.
 */
export class AdsClient extends EventEmitter<AdsClientEvents> {
  private readonly states = new Map<string, ClientTypeState>();
  private readonly protocol: ClientProtocol;
  private readonly grpcClient: Client;
  private readonly backoff: Backoff;
  private readonly logger: XdsLogger;
  private readonly resourceTypes: ReadonlyMap<string, XdsResourceType>;
  private call?: ClientDuplexStream<unknown, unknown>;
  private reconnectTimer?: NodeJS.Timeout;
  private nodeSent = false;
  private stopped = true;
  /** Streams opened so far (1 after the first connection; grows by one per reconnect). */
  streamsOpened = 0;

  constructor(private readonly options: AdsClientOptions) {
    super();
    this.protocol =
      (options.protocol ?? 'delta') === 'delta'
        ? (deltaProtocol as ClientProtocol)
        : (sotwProtocol as ClientProtocol);
    this.resourceTypes = options.resourceTypes ?? STANDARD_RESOURCE_TYPES;
    this.backoff = new Backoff(options.backoff);
    this.logger = options.logger ?? silentLogger;
    const Ctor = makeGenericClientConstructor(adsServiceDefinition(), 'AggregatedDiscoveryService');
    this.grpcClient = new Ctor(options.target, options.credentials ?? grpcCredentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // The channel's own reconnect backoff follows ours, so a restarted server is found as soon as we retry.
      'grpc.initial_reconnect_backoff_ms': options.backoff?.initialMs ?? 200,
      'grpc.max_reconnect_backoff_ms': options.backoff?.maxMs ?? 30_000,
      ...options.channelOptions,
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.openStream();
  }

  /** Subscribes to names of a type ('*' or nothing: every resource of the type). */
  subscribe(typeUrl: string, names: readonly string[] | '*' = '*'): void {
    const state = this.stateFor(typeUrl);
    const wasSubscribed = state.subscribed;
    const added = names === '*' ? (state.wildcard ? [] : ['*']) : names.filter((n) => !state.names.has(n));
    if (names === '*') state.wildcard = true;
    else for (const name of names) state.names.add(name);
    if (added.length === 0 || !this.call) return;
    this.send(
      wasSubscribed
        ? this.protocol.subscriptionChange(state, added, [])
        : this.protocol.initialRequest(state, this.nodeOnce()),
    );
  }

  /** Drops names of a type ('*': the wildcard subscription); their resources are forgotten. */
  unsubscribe(typeUrl: string, names: readonly string[] | '*' = '*'): void {
    const state = this.states.get(typeUrl);
    if (!state) return;
    const removed = names === '*' ? (state.wildcard ? ['*'] : []) : names.filter((n) => state.names.has(n));
    if (names === '*') state.wildcard = false;
    else for (const name of names) state.names.delete(name);
    for (const name of [...state.resources.keys()])
      if (!state.wildcard && !state.names.has(name)) state.resources.delete(name);
    if (removed.length > 0 && this.call) this.send(this.protocol.subscriptionChange(state, [], removed));
  }

  /** The accepted resources of a type, by name. */
  resources<T extends object = object>(typeUrl: string): ReadonlyMap<string, HeldResource<T>> {
    return (this.states.get(typeUrl)?.resources ?? new Map()) as ReadonlyMap<string, HeldResource<T>>;
  }

  status(): ClientTypeStatus[] {
    return [...this.states.values()].map((s) => ({
      typeUrl: s.typeUrl,
      wildcard: s.wildcard,
      names: [...s.names].sort(),
      resources: s.resources.size,
      ackedVersion: s.ackedVersion,
      lastNack: s.lastNack,
    }));
  }

  get connected(): boolean {
    return this.call !== undefined;
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.grpcClient.close();
  }

  private openStream(): void {
    const method = (this.grpcClient as unknown as Record<string, () => ClientDuplexStream<unknown, unknown>>)[
      this.protocol.method
    ];
    const call = method.call(this.grpcClient);
    this.call = call;
    this.nodeSent = false;
    this.streamsOpened++;
    let sawResponse = false;
    call.on('data', (response: unknown) => {
      if (!sawResponse) {
        sawResponse = true;
        this.backoff.reset();
        this.emit('connected');
      }
      this.onResponse(response);
    });
    call.on('error', () => undefined); // the status event below carries the reason
    call.on('status', (status: { code: number; details: string }) =>
      this.onStreamEnd(call, `${status.code} ${status.details}`),
    );
    for (const state of this.states.values()) {
      if (state.subscribed) this.send(this.protocol.initialRequest(state, this.nodeOnce()));
    }
  }

  private onStreamEnd(call: ClientDuplexStream<unknown, unknown>, reason: string): void {
    if (this.call !== call) return;
    this.call = undefined;
    if (this.stopped) return;
    const retryInMs = this.backoff.next();
    this.logger.warn({ reason, retryInMs }, 'xDS stream ended; reconnecting');
    this.emit('disconnected', { reason, retryInMs });
    this.reconnectTimer = setTimeout(() => this.openStream(), retryInMs);
  }

  private onResponse(raw: unknown): void {
    const typeUrl = (raw as { type_url?: string }).type_url ?? '';
    const fullState = this.resourceTypes.get(typeUrl)?.sotwFullState ?? true;
    const response: ParsedResponse = this.protocol.parse(raw, fullState);
    const state = this.stateFor(response.typeUrl);
    state.lastNonce = response.nonce;
    const type = this.resourceTypes.get(response.typeUrl);
    const { resources, errors } = type
      ? decodeResponse(type, response.items)
      : { resources: [], errors: [`unsupported resource type ${response.typeUrl}`] };
    const present = new Set(resources.map((r) => r.name));
    const removed =
      response.removed === 'omitted'
        ? [...state.resources.keys()].filter((n) => !present.has(n))
        : response.removed;
    const update: ResourceUpdate = {
      typeUrl: response.typeUrl,
      version: response.version,
      updated: resources,
      removed,
    };
    if (errors.length === 0 && this.options.validate) errors.push(...this.options.validate(update));
    if (errors.length > 0) {
      const message = errors.join('\n');
      state.lastNack = { nonce: response.nonce, version: response.version, message, at: new Date() };
      this.logger.warn(
        { type: shortNameOf(response.typeUrl), nonce: response.nonce, error: message },
        'rejected xDS update (NACK)',
      );
      this.send(this.protocol.nack(state, response.nonce, message));
      this.emit('nack', { typeUrl: response.typeUrl, ...state.lastNack });
      return;
    }
    for (const r of resources) state.resources.set(r.name, { resource: r.resource, version: r.version });
    for (const name of removed) state.resources.delete(name);
    state.ackedVersion = response.version;
    this.emit('update', update);
    this.send(this.protocol.ack(state, response.nonce, response.version));
  }

  private stateFor(typeUrl: string): ClientTypeState {
    let state = this.states.get(typeUrl);
    if (!state) {
      state = new ClientTypeState(typeUrl);
      this.states.set(typeUrl, state);
    }
    return state;
  }

  /** The node goes in the first request of each stream only. */
  private nodeOnce(): NodeMessage | undefined {
    if (this.nodeSent) return undefined;
    this.nodeSent = true;
    const n = this.options.node;
    return {
      id: n.id,
      cluster: n.cluster ?? '',
      metadata: jsonToStruct(n.metadata ?? {}),
      locality: n.locality,
      user_agent_name: n.userAgent?.name ?? 'mesh-ads-client',
      user_agent_version: n.userAgent?.version ?? '0.1.0',
    };
  }

  private send(request: unknown): void {
    this.call?.write(request);
  }
}
