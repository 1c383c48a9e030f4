import { hash } from 'node:crypto';

import type { PackedAny } from '../codec/any.js';
import { codecFor } from '../codec/message-codec.js';
import type { JsonValue } from '../codec/struct.js';

/** The client at the other end of an ADS stream, as the server knows it. */
export interface XdsConnection {
  /** Unique per stream on this server. */
  readonly id: string;
  readonly mode: 'sotw' | 'delta';
  readonly peer: string;
  readonly connectedAt: Date;
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

/** A resource ready to send: encoded once and shared by every stream that sends it. */
export interface PreparedResource {
  readonly name: string;
  /** Derived from the encoded bytes, so equal content has equal versions across restarts. */
  readonly version: string;
  readonly any: PackedAny;
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
  const value = codecFor(typeUrl.slice(typeUrl.lastIndexOf('/') + 1)).encode(resource);
  const result: PreparedResource = {
    name,
    version: hash('sha1', value, 'base64url').slice(0, 16),
    any: { type_url: typeUrl, value },
  };
  prepared.set(resource, result);
  return result;
}

/** A version string for a whole set of resources (SotW `version_info`). */
export function versionOfSet(resources: readonly PreparedResource[]): string {
  if (resources.length === 0) return 'empty';
  const parts = resources.map((r) => `${r.name}=${r.version}`).sort();
  return hash('sha1', parts.join('\n'), 'base64url').slice(0, 16);
}
