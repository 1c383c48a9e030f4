import { codecFor } from '../codec/message-codec.js';
import { shortNameOf } from '../type-urls.js';
import type { ValidationIssue } from './validation.js';

/**
 * What libs/xds knows about one xDS resource type: its type URL and message, how to name a resource,
 * and how to validate it. Server and client share these, one file per type under resources/.
 */
export interface XdsResourceType<T extends object = object> {
  readonly typeUrl: string;
  /** LDS, RDS, CDS, EDS, SDS. */
  readonly shortName: string;
  /** Fully qualified proto message name. */
  readonly messageName: string;
  /**
   * In state-of-the-world, whether every response carries the complete set (LDS, CDS), so that a
   * resource missing from a response has been removed. RDS/EDS/SDS responses carry only what changed.
   */
  readonly sotwFullState: boolean;
  nameOf(resource: T): string;
  /** Every problem found, each with a field path; empty when the resource is valid. */
  validate(resource: T): ValidationIssue[];
  encode(resource: T): Buffer;
  decode(bytes: Uint8Array): T;
}

export function defineResourceType<T extends object>(spec: {
  typeUrl: string;
  sotwFullState: boolean;
  nameOf(resource: T): string;
  validate(resource: T): ValidationIssue[];
}): XdsResourceType<T> {
  const messageName = spec.typeUrl.slice(spec.typeUrl.lastIndexOf('/') + 1);
  const codec = codecFor<T>(messageName);
  return {
    ...spec,
    shortName: shortNameOf(spec.typeUrl),
    messageName,
    encode: (resource) => codec.encode(resource),
    decode: (bytes) => codec.decode(bytes),
  };
}
