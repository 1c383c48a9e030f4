/**
 * Just enough of the protobuf wire format to assemble discovery responses from pieces encoded once:
 * a response to a thousand clients is then a concatenation of cached bytes, not a thousand encodings.
 */

const LENGTH_DELIMITED = 2;

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

function writeVarint(target: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/** A length-delimited field (string, bytes or message): tag, length, then the payload. */
export function lengthDelimitedField(fieldNumber: number, payload: Uint8Array): Buffer {
  const tag = (fieldNumber << 3) | LENGTH_DELIMITED;
  const out = Buffer.allocUnsafe(varintLength(tag) + varintLength(payload.length) + payload.length);
  let offset = writeVarint(out, 0, tag);
  offset = writeVarint(out, offset, payload.length);
  out.set(payload, offset);
  return out;
}

export function stringField(fieldNumber: number, value: string): Buffer {
  return value === '' ? Buffer.alloc(0) : lengthDelimitedField(fieldNumber, Buffer.from(value, 'utf8'));
}

/** `google.protobuf.Any { type_url = 1; value = 2; }` */
export function anyMessage(typeUrl: string, value: Uint8Array): Buffer {
  return Buffer.concat([stringField(1, typeUrl), lengthDelimitedField(2, value)]);
}

/** A message already serialized by us; the gRPC serializers pass it through untouched. */
export class EncodedMessage {
  constructor(readonly bytes: Buffer) {}
}
