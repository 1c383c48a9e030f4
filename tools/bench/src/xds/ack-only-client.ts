import { EventEmitter } from 'node:events';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';

import { adsServiceDefinition, TypeUrl } from '@mesh/xds';

import type { XdsProtocol } from './fleet-contract.js';

/**
 * The cheapest client that still speaks ADS correctly: gRPC over node:http2, reading only the top-level
 * fields of each response (type, version, nonce, resource count) and ACKing at once, never decoding a
 * resource. With it the benchmark measures what the server alone can do, as if the proxies were on
 * other machines; with AdsClient it also measures our client's decoding and validation.
 */

/** The fields a client needs to ACK. DiscoveryResponse and DeltaDiscoveryResponse number them alike. */
export interface ResponseHeader {
  typeUrl: string;
  version: string;
  nonce: string;
  resources: number;
}

const VERSION = 1;
const RESOURCES = 2;
const TYPE_URL = 4;
const NONCE = 5;

/** Walks the top-level protobuf fields, skipping everything but the header fields. */
export function readResponseHeader(bytes: Buffer): ResponseHeader {
  const header: ResponseHeader = { typeUrl: '', version: '', nonce: '', resources: 0 };
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[pos++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      const text = () => bytes.toString('utf8', pos, pos + length);
      if (field === VERSION) header.version = text();
      else if (field === TYPE_URL) header.typeUrl = text();
      else if (field === NONCE) header.nonce = text();
      else if (field === RESOURCES) header.resources++;
      pos += length;
    } else throw new Error(`unsupported wire type ${wireType} in an xDS response`);
  }
  return header;
}

export interface AckOnlyClientEvents {
  /** Every subscribed type has delivered at least `wanted` resources. */
  synced: [];
  problem: [string];
}

export class AckOnlyClient extends EventEmitter<AckOnlyClientEvents> {
  private session?: ClientHttp2Session;
  private stream?: ClientHttp2Stream;
  private readonly received = new Map<string, number>();
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private synced = false;
  private closing = false;

  constructor(
    private readonly target: string,
    private readonly nodeId: string,
    private readonly protocol: XdsProtocol,
    private readonly clusterNames: readonly string[],
  ) {
    super();
  }

  start(): void {
    const method = this.protocol === 'delta' ? 'DeltaAggregatedResources' : 'StreamAggregatedResources';
    const definition = adsServiceDefinition()[method];
    if (!definition) throw new Error(`no ${method} in the ADS service definition`);
    const serialize = definition.requestSerialize as (request: object) => Buffer;
    this.session = connect(`http://${this.target}`);
    this.session.on('error', (err) => this.fail(`session error: ${err.message}`));
    const stream = this.session.request({
      ':method': 'POST',
      ':path': definition.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => this.onData(chunk, serialize));
    stream.on('trailers', (trailers) => this.fail(`stream ended: grpc-status ${trailers['grpc-status']}`));
    stream.on('error', (err) => this.fail(`stream error: ${err.message}`));
    stream.on('close', () => this.fail('stream closed'));
    const node = { id: this.nodeId, user_agent_name: 'mesh-bench-ack-only' };
    const subscribe = (typeUrl: string, names: readonly string[], withNode: boolean) =>
      this.protocol === 'delta'
        ? { node: withNode ? node : undefined, type_url: typeUrl, resource_names_subscribe: names }
        : { node: withNode ? node : undefined, type_url: typeUrl, resource_names: names };
    this.write(serialize(subscribe(TypeUrl.Cluster, ['*'], true)));
    this.write(serialize(subscribe(TypeUrl.ClusterLoadAssignment, this.clusterNames, false)));
  }

  close(): void {
    this.closing = true;
    this.stream?.close();
    this.session?.destroy();
  }

  /**
   * Reassembles gRPC length-prefixed messages from HTTP/2 data chunks, joining chunks only once a whole
   * message is there (joining on every chunk would copy a 200 KB response a dozen times).
   */
  private onData(chunk: Buffer, serialize: (request: object) => Buffer): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    while (this.bufferedBytes >= 5) {
      if ((this.buffered[0] as Buffer).length < 5) this.buffered = [Buffer.concat(this.buffered)];
      const length = (this.buffered[0] as Buffer).readUInt32BE(1);
      if (this.bufferedBytes < 5 + length) return;
      const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
      this.respond(readResponseHeader(all.subarray(5, 5 + length)), serialize);
      const rest = all.subarray(5 + length);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
    }
  }

  private respond(header: ResponseHeader, serialize: (request: object) => Buffer): void {
    const ack =
      this.protocol === 'delta'
        ? { type_url: header.typeUrl, response_nonce: header.nonce }
        : {
            type_url: header.typeUrl,
            resource_names: header.typeUrl === TypeUrl.Cluster ? ['*'] : this.clusterNames,
            version_info: header.version,
            response_nonce: header.nonce,
          };
    this.write(serialize(ack));
    const total = (this.received.get(header.typeUrl) ?? 0) + header.resources;
    this.received.set(header.typeUrl, total);
    const wanted = this.clusterNames.length;
    if (
      !this.synced &&
      (this.received.get(TypeUrl.Cluster) ?? 0) >= wanted &&
      (this.received.get(TypeUrl.ClusterLoadAssignment) ?? 0) >= wanted
    ) {
      this.synced = true;
      this.emit('synced');
    }
  }

  /** A gRPC message: uncompressed flag, big-endian length, bytes. */
  private write(message: Buffer): void {
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
