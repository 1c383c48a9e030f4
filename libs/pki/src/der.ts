import forge from 'node-forge';

import { PkiError, type PkiErrorCode } from './errors.js';

/**
 * DER building and reading on top of `forge.asn1`, whose values are binary strings ("latin1": one
 * char per byte); Node's crypto wants Buffers, so the conversions live here and nowhere else.
 */
const { asn1 } = forge;
export type Asn1 = forge.asn1.Asn1;
const UNIVERSAL = asn1.Class.UNIVERSAL;
const CONTEXT = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

export const toBinary = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
export const fromBinary = (bytes: string): Buffer => Buffer.from(bytes, 'latin1');

export const sequence = (items: Asn1[]): Asn1 => asn1.create(UNIVERSAL, T.SEQUENCE, true, items);
export const set = (items: Asn1[]): Asn1 => asn1.create(UNIVERSAL, T.SET, true, items);
export const nullValue = (): Asn1 => asn1.create(UNIVERSAL, T.NULL, false, '');
export const boolean = (value: boolean): Asn1 =>
  asn1.create(UNIVERSAL, T.BOOLEAN, false, value ? '\xff' : '\x00');
export const octetString = (bytes: Uint8Array | string): Asn1 =>
  asn1.create(UNIVERSAL, T.OCTETSTRING, false, typeof bytes === 'string' ? bytes : toBinary(bytes));
/** A BIT STRING holding whole bytes (no unused bits): signatures, public keys. */
export const bitString = (bytes: Uint8Array): Asn1 =>
  asn1.create(UNIVERSAL, T.BITSTRING, false, '\x00' + toBinary(bytes));
export const utf8String = (text: string): Asn1 =>
  asn1.create(UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(text));
export const smallInteger = (value: number): Asn1 =>
  asn1.create(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(value).getBytes());

const oidCache = new Map<string, string>();
/** An OBJECT IDENTIFIER; the encodings are cached because the same few OIDs recur on every call. */
export function oid(dotted: string): Asn1 {
  let der = oidCache.get(dotted);
  if (der === undefined) {
    der = asn1.oidToDer(dotted).getBytes();
    oidCache.set(dotted, der);
  }
  return asn1.create(UNIVERSAL, T.OID, false, der);
}

/** An INTEGER from big-endian unsigned magnitude bytes, minimally encoded and kept positive. */
export function unsignedInteger(magnitude: Uint8Array): Asn1 {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const bytes = (trimmed[0] ?? 0) & 0x80 ? '\x00' + toBinary(trimmed) : toBinary(trimmed);
  return asn1.create(UNIVERSAL, T.INTEGER, false, bytes || '\x00');
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export function time(date: Date): Asn1 {
  const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return seconds.getUTCFullYear() < 2050
    ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(seconds))
    : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(seconds));
}

export function readTime(node: Asn1 | undefined): Date | undefined {
  if (node?.tagClass !== UNIVERSAL || typeof node.value !== 'string') return undefined;
  if (node.type === T.UTCTIME) return asn1.utcTimeToDate(node.value);
  if (node.type === T.GENERALIZEDTIME) return asn1.generalizedTimeToDate(node.value);
  return undefined;
}

/** `[tag] EXPLICIT inner`. */
export const explicit = (tag: number, inner: Asn1): Asn1 =>
  asn1.create(CONTEXT, tag as forge.asn1.Type, true, [inner]);
/** `[tag] IMPLICIT` constructed contents (e.g. a CSR's attributes). */
export const implicitConstructed = (tag: number, items: Asn1[]): Asn1 =>
  asn1.create(CONTEXT, tag as forge.asn1.Type, true, items);
/** `[tag] IMPLICIT` primitive contents (e.g. a GeneralName's URI or DNS name). */
export const implicitPrimitive = (tag: number, bytes: string): Asn1 =>
  asn1.create(CONTEXT, tag as forge.asn1.Type, false, bytes);

export const encode = (node: Asn1): Buffer => fromBinary(asn1.toDer(node).getBytes());

/** A SEQUENCE around already-encoded elements, which are copied as they are, not re-encoded. */
export function concatSequence(elements: readonly Buffer[]): Buffer {
  let length = 0;
  for (const element of elements) length += element.length;
  let header: Buffer;
  if (length < 0x80) {
    header = Buffer.from([0x30, length]);
  } else {
    const lengthBytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n & 0xff);
    header = Buffer.from([0x30, 0x80 | lengthBytes.length, ...lengthBytes]);
  }
  return Buffer.concat([header, ...elements]);
}

/**
 * Parses DER strictly: all bytes consumed, lengths checked, BIT STRING contents left as bytes (forge
 * would otherwise try to read an ECDSA signature or a public key as nested ASN.1).
 */
export function decode(der: Uint8Array, code: PkiErrorCode, what: string): Asn1 {
  try {
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
    // forge takes this options object; @types/node-forge only declares the older boolean `strict`.
    return asn1.fromDer(toBinary(der), options as unknown as boolean);
  } catch (error) {
    throw new PkiError(code, `${what} is not valid DER: ${(error as Error).message}`, { cause: error });
  }
}

export function isNode(
  node: Asn1 | undefined,
  type: forge.asn1.Type | number,
  tagClass: forge.asn1.Class = UNIVERSAL,
): node is Asn1 {
  return node !== undefined && node.tagClass === tagClass && node.type === type;
}

/** The children of a constructed node, or `undefined` when it is not one of the given type. */
export function childrenOf(node: Asn1 | undefined, type: forge.asn1.Type = T.SEQUENCE): Asn1[] | undefined {
  return isNode(node, type) && Array.isArray(node.value) ? node.value : undefined;
}

/** The bytes of a primitive node of the given type, or `undefined`. */
export function bytesOf(node: Asn1 | undefined, type: forge.asn1.Type | number, tagClass = UNIVERSAL) {
  return isNode(node, type, tagClass) && typeof node.value === 'string' ? node.value : undefined;
}

export function readOid(node: Asn1 | undefined): string | undefined {
  const bytes = bytesOf(node, T.OID);
  return bytes === undefined ? undefined : asn1.derToOid(bytes);
}

/** The whole-byte contents of a BIT STRING (its unused-bits byte must be 0). */
export function readBitStringBytes(node: Asn1 | undefined): Buffer | undefined {
  const bytes = bytesOf(node, T.BITSTRING);
  return bytes === undefined || bytes.charCodeAt(0) !== 0 ? undefined : fromBinary(bytes.slice(1));
}

/**
 * The exact encoded bytes of the element at `path` (child indices from the outermost element).
 * Signatures cover the bytes that were received, so they are sliced out rather than re-encoded.
 */
export function rawElement(der: Buffer, path: readonly number[]): Buffer {
  let start = 0;
  let end = der.length;
  for (const index of path) {
    let child = start + headerLength(der, start);
    for (let i = 0; i < index; i++) child = elementEnd(der, child);
    if (child >= end) throw new RangeError(`DER element ${path.join('.')} does not exist`);
    start = child;
    end = elementEnd(der, child);
  }
  return der.subarray(start, end);
}

function headerLength(der: Buffer, at: number): number {
  const first = der[at + 1];
  if (first === undefined) throw new RangeError('truncated DER');
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function elementEnd(der: Buffer, at: number): number {
  const first = der[at + 1];
  if (first === undefined) throw new RangeError('truncated DER');
  let length = first;
  if (first >= 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + (der[at + 2 + i] ?? 0);
  }
  return at + headerLength(der, at) + length;
}
