import type protobuf from 'protobufjs';

import { XdsError } from '../errors.js';
import { messageType } from './proto-root.js';
import { shapeProblems } from './shape-check.js';

/**
 * The canonical in-memory form of an Envoy message: a plain object with proto field names
 * (snake_case), enums as strings, 64-bit integers as strings, bytes as base64 and `Any` values in the
 * JSON form `{ '@type': 'type.googleapis.com/...', ...fields }` — the same shape as Envoy YAML config.
 */
export const CANONICAL_FORM: protobuf.IConversionOptions = {
  json: true,
  enums: String,
  longs: String,
  bytes: String,
  oneofs: true,
};

/** Encodes and decodes one message type between bytes and its canonical object form. */
export class MessageCodec<T extends object> {
  readonly type: protobuf.Type;

  constructor(readonly fullName: string) {
    this.type = messageType(fullName);
  }

  /** Encodes a canonical object; throws `XDS_ENCODE` naming every unknown field, bad enum or misfit value. */
  encode(message: T): Buffer {
    const problems = shapeProblems(this.type, message);
    if (problems.length > 0) {
      throw new XdsError('XDS_ENCODE', `cannot encode ${this.fullName}: ${problems.join('; ')}`);
    }
    try {
      const created = this.type.fromObject(message as Record<string, unknown>);
      return Buffer.from(this.type.encode(created).finish());
    } catch (cause) {
      throw new XdsError('XDS_ENCODE', `cannot encode ${this.fullName}: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  /** Decodes bytes into the canonical form; throws `XDS_DECODE` on malformed input. */
  decode(bytes: Uint8Array): T {
    try {
      return this.type.toObject(this.type.decode(bytes), CANONICAL_FORM) as T;
    } catch (cause) {
      throw new XdsError('XDS_DECODE', `cannot decode ${this.fullName}: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
}

const codecs = new Map<string, MessageCodec<object>>();

/** The shared codec for a message type, created on first use. */
export function codecFor<T extends object>(fullName: string): MessageCodec<T> {
  let codec = codecs.get(fullName);
  if (!codec) {
    codec = new MessageCodec<object>(fullName);
    codecs.set(fullName, codec);
  }
  return codec as MessageCodec<T>;
}
