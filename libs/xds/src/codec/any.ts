import { XdsError } from '../errors.js';
import { codecFor } from './message-codec.js';

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** A packed `google.protobuf.Any` as it travels on the wire. */
export interface PackedAny {
  type_url: string;
  value: Buffer;
}

/** `type.googleapis.com/<full name>` for a message's fully qualified name. */
export function typeUrlOf(fullName: string): string {
  return TYPE_URL_PREFIX + fullName;
}

/** The message's fully qualified name from a type URL (anything after the last `/`). */
export function messageNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** Packs a canonical message object as an `Any` of the given type URL. */
export function packAny(typeUrl: string, message: object): PackedAny {
  return { type_url: typeUrl, value: codecFor(messageNameOf(typeUrl)).encode(message) };
}

/** Unpacks an `Any` into the canonical object of its type; `XDS_UNKNOWN_TYPE` if the type is not loaded. */
export function unpackAny<T extends object>(any: { type_url?: string; value?: Uint8Array }): T {
  const typeUrl = any.type_url ?? '';
  if (!typeUrl.includes('/')) {
    throw new XdsError('XDS_UNKNOWN_TYPE', `Any has no valid type_url: "${typeUrl}"`);
  }
  let codec;
  try {
    codec = codecFor<T>(messageNameOf(typeUrl));
  } catch (cause) {
    throw new XdsError('XDS_UNKNOWN_TYPE', `no message type is known for ${typeUrl}`, { cause });
  }
  return codec.decode(any.value ?? new Uint8Array());
}
