import { EventEmitter } from 'node:events';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';

import { adsServiceDefinition, jsonToStruct, TypeUrl } from '@mesh/xds';

import { readResponseHeader } from '../xds/ack-only-client.js';
import type { XdsProtocol } from '../xds/fleet-contract.js';
import type { ProxySubscription } from './mesh-config.js';

/**
 * A simulated proxyless gRPC proxy that costs its process almost nothing: ADS over node:http2, node
 * metadata `GENERATOR: grpc` (so istiod generates proxyless config for it), explicit LDS/RDS/CDS/EDS
 * subscriptions, and an ACK for every response without decoding any resource. To tell when a change
 * has arrived it searches the raw response bytes for strings the change adds or removes (cluster names,
 * addresses: protobuf stores strings verbatim), so the benchmark measures istiod, not client decoding.
 */

/** A change to wait for: the first response of `typeUrl` that contains all of `present` and none of `absent`. */
export interface Watch {
  id: number;
  typeUrl: string;
  present: string[];
  absent: string[];
}

export interface ProxylessClientEvents {
  /** Every subscribed type has delivered at least as many resources as were asked for. */
  synced: [];
  /** The ACK of the response that matched `watch` was written at `ackNs` (process.hrtime.bigint()). */
  matched: [watch: Watch, ackNs: bigint];
  problem: [string];
}

const serialize = (method: string): ((request: object) => Buffer) => {
  const definition = adsServiceDefinition()[method];
  if (!definition) throw new Error(`no ${method} in the ADS service definition`);
  return definition.requestSerialize as (request: object) => Buffer;
};

export class ProxylessClient extends EventEmitter<ProxylessClientEvents> {
  private session?: ClientHttp2Session;
  private stream?: ClientHttp2Stream;
  private readonly serialize: (request: object) => Buffer;
  private readonly names: Map<string, readonly string[]>;
  private readonly received = new Map<string, number>();
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private synced = false;
  private closing = false;
  private watch?: { watch: Watch; present: Buffer[]; absent: Buffer[] };

  constructor(
    private readonly target: string,
    private readonly nodeId: string,
    private readonly protocol: XdsProtocol,
    subscription: ProxySubscription,
  ) {
    super();
    this.serialize = serialize(
      protocol === 'delta' ? 'DeltaAggregatedResources' : 'StreamAggregatedResources',
    );
    this.names = new Map([
      [TypeUrl.Listener, subscription.listeners],
      [TypeUrl.RouteConfiguration, subscription.routes],
      [TypeUrl.Cluster, subscription.clusters],
      [TypeUrl.ClusterLoadAssignment, subscription.clusters],
    ]);
  }

  start(): void {
    const method = this.protocol === 'delta' ? 'DeltaAggregatedResources' : 'StreamAggregatedResources';
    const path = adsServiceDefinition()[method]?.path as string;
    this.session = connect(`http://${this.target}`);
    this.session.on('error', (err) => this.fail(`session error: ${err.message}`));
    const stream = this.session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('trailers', (trailers) => this.fail(`stream ended: grpc-status ${trailers['grpc-status']}`));
    stream.on('error', (err) => this.fail(`stream error: ${err.message}`));
    stream.on('close', () => this.fail('stream closed'));
    const node = {
      id: this.nodeId,
      metadata: jsonToStruct({ GENERATOR: 'grpc' }),
      user_agent_name: 'mesh-bench-proxyless',
    };
    let first = true;
    for (const [typeUrl, names] of this.names) {
      const request =
        this.protocol === 'delta'
          ? { type_url: typeUrl, resource_names_subscribe: names }
          : { type_url: typeUrl, resource_names: names };
      this.write({ ...request, node: first ? node : undefined });
      first = false;
    }
  }

  /** Waits for a change; a client whose subscriptions cannot see it must not be given the watch. */
  expect(watch: Watch): void {
    this.watch = {
      watch,
      present: watch.present.map((s) => Buffer.from(s)),
      absent: watch.absent.map((s) => Buffer.from(s)),
    };
  }

  close(): void {
    this.closing = true;
    this.stream?.close();
    this.session?.destroy();
  }

  /** Reassembles gRPC length-prefixed messages, joining chunks only once a whole message is there. */
  private onData(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    while (this.bufferedBytes >= 5) {
      if ((this.buffered[0] as Buffer).length < 5) this.buffered = [Buffer.concat(this.buffered)];
      const length = (this.buffered[0] as Buffer).readUInt32BE(1);
      if (this.bufferedBytes < 5 + length) return;
      const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
      this.respond(all.subarray(5, 5 + length));
      const rest = all.subarray(5 + length);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
    }
  }

  private respond(message: Buffer): void {
    const header = readResponseHeader(message);
    // SotW: the ACK repeats the subscription, or the server would take it as a new one.
    this.write(
      this.protocol === 'delta'
        ? { type_url: header.typeUrl, response_nonce: header.nonce }
        : {
            type_url: header.typeUrl,
            resource_names: this.names.get(header.typeUrl) ?? [],
            version_info: header.version,
            response_nonce: header.nonce,
          },
    );
    const watching = this.watch;
    if (
      watching &&
      header.typeUrl === watching.watch.typeUrl &&
      watching.present.every((s) => message.includes(s)) &&
      !watching.absent.some((s) => message.includes(s))
    ) {
      this.watch = undefined;
      this.emit('matched', watching.watch, process.hrtime.bigint());
    }
    this.received.set(header.typeUrl, (this.received.get(header.typeUrl) ?? 0) + header.resources);
    if (
      !this.synced &&
      [...this.names].every(([type, names]) => (this.received.get(type) ?? 0) >= names.length)
    ) {
      this.synced = true;
      this.emit('synced');
    }
  }

  /** A gRPC message: uncompressed flag, big-endian length, bytes. */
  private write(request: object): void {
    const message = this.serialize(request);
    const framed = Buffer.allocUnsafe(5 + message.length);
    framed.writeUInt8(0, 0);
    framed.writeUInt32BE(message.length, 1);
    message.copy(framed, 5);
    this.stream?.write(framed);
  }

  private fail(message: string): void {
    if (!this.closing) this.emit('problem', message);
  }
}
