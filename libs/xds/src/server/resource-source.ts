import { createHash, hash } from 'node:crypto';

import type { PackedAny } from '../codec/any.js';
import { codecFor } from '../codec/message-codec.js';
import type { JsonValue } from '../codec/struct.js';
import { anyMessage, lengthDelimitedField, stringField } from '../protocol/wire.js';

/** The client at the other end of an ADS stream, as the server knows it. */
export interface XdsConnection {
  /** Unique per stream on this server. */
  readonly id: string;
  readonly mode: 'sotw' | 'delta';
  readonly peer: string;
  readonly connectedAt: Date;
  /**
   * The SPIFFE ID of the client certificate the peer presented over mTLS, verified by the TLS layer
   * against the mesh roots; undefined on plaintext connections or without a certificate. Node metadata
   * is only a claim; this is proof, and what access to secrets is decided on.
   */
  readonly peerIdentity?: string;
  /** Known once the first request arrives. */
  node: XdsNodeInfo;
}

export interface XdsNodeInfo {
  id: string;
  cluster: string;
  metadata: Record<string, JsonValue>;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  userAgent?: string;
}

/**
 * A resource ready to send: encoded once and shared by every stream that sends it, together with the
 * wire fragments SotW and delta responses are assembled from (built on first use).
 */
export class PreparedResource {
  /** Derived from the encoded bytes, so equal content has equal versions across restarts. */
  readonly version: string;
  readonly any: PackedAny;
  /** Two 32-bit halves of a hash of name and version; summed (order-free) into set versions. */
  readonly setHash: readonly [number, number];
  private sotw?: Buffer;
  private delta?: Buffer;

  constructor(
    readonly name: string,
    typeUrl: string,
    value: Buffer,
  ) {
    this.any = { type_url: typeUrl, value };
    this.version = hash('sha1', value, 'base64url').slice(0, 16);
    const digest = createHash('sha1').update(name).update('\0').update(this.version).digest();
    this.setHash = [digest.readUInt32LE(0), digest.readUInt32LE(4)];
  }

  /** `DiscoveryResponse.resources` entry: an Any. */
  get sotwField(): Buffer {
    this.sotw ??= lengthDelimitedField(2, anyMessage(this.any.type_url, this.any.value));
    return this.sotw;
  }

  /** `DeltaDiscoveryResponse.resources` entry: a Resource with version, Any and name. */
  get deltaField(): Buffer {
    this.delta ??= lengthDelimitedField(
      2,
      Buffer.concat([
        stringField(1, this.version),
        lengthDelimitedField(2, anyMessage(this.any.type_url, this.any.value)),
        stringField(3, this.name),
      ]),
    );
    return this.delta;
  }
}

/** What a stream asks its source for: resources of one type in the scope of a subscription and a change. */
export interface ResourceRequest {
  connection: XdsConnection;
  typeUrl: string;
  /** The client subscribed to everything this node should see (wildcard). */
  wildcard: boolean;
  /** Names subscribed explicitly (may be non-empty together with wildcard in delta). */
  names: ReadonlySet<string>;
  /** When set, only these names are needed; the rest of the subscription is unchanged. */
  only?: ReadonlySet<string>;
}

/**
 * Where the ADS server gets resources from. istiod implements it with its generators; tests and
 * benchmarks use {@link MemoryResourceSource}. Resources outside the request's scope may be returned
 * and are ignored; names in scope that are not returned do not exist (or no longer exist).
 */
export interface ResourceSource {
  resources(request: ResourceRequest): Iterable<PreparedResource> | Promise<Iterable<PreparedResource>>;
}

const prepared = new WeakMap<object, PreparedResource>();

/**
 * Encodes a canonical resource object once. The result is cached on the object's identity, so a
 * resource shared by a thousand connections is encoded a single time.
 */
export function prepareResource(typeUrl: string, name: string, resource: object): PreparedResource {
  const cached = prepared.get(resource);
  if (cached && cached.name === name && cached.any.type_url === typeUrl) return cached;
  const result = new PreparedResource(
    name,
    typeUrl,
    codecFor(typeUrl.slice(typeUrl.lastIndexOf('/') + 1)).encode(resource),
  );
  prepared.set(resource, result);
  return result;
}

const setVersions = new WeakMap<readonly PreparedResource[], string>();

/**
 * A version string for a whole set of resources (SotW `version_info`): a sum of per-resource hashes,
 * so it needs no sorting, and cached per array, so a set shared by many streams is versioned once.
 */
export function versionOfSet(resources: readonly PreparedResource[]): string {
  if (resources.length === 0) return 'empty';
  const cached = setVersions.get(resources);
  if (cached) return cached;
  let a = 0;
  let b = 0;
  for (const r of resources) {
    a = (a + r.setHash[0]) >>> 0;
    b = (b + r.setHash[1]) >>> 0;
  }
  const version = `${resources.length}-${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
  setVersions.set(resources, version);
  return version;
}
