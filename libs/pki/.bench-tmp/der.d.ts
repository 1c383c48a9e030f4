import forge from 'node-forge';
import { type PkiErrorCode } from './errors.js';
export type Asn1 = forge.asn1.Asn1;
export declare const toBinary: (bytes: Uint8Array) => string;
export declare const fromBinary: (bytes: string) => Buffer;
export declare const sequence: (items: Asn1[]) => Asn1;
export declare const set: (items: Asn1[]) => Asn1;
export declare const nullValue: () => Asn1;
export declare const boolean: (value: boolean) => Asn1;
export declare const octetString: (bytes: Uint8Array | string) => Asn1;
/** A BIT STRING holding whole bytes (no unused bits): signatures, public keys. */
export declare const bitString: (bytes: Uint8Array) => Asn1;
export declare const utf8String: (text: string) => Asn1;
export declare const smallInteger: (value: number) => Asn1;
/** An OBJECT IDENTIFIER; the encodings are cached because the same few OIDs recur on every call. */
export declare function oid(dotted: string): Asn1;
/** An INTEGER from big-endian unsigned magnitude bytes, minimally encoded and kept positive. */
export declare function unsignedInteger(magnitude: Uint8Array): Asn1;
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export declare function time(date: Date): Asn1;
export declare function readTime(node: Asn1 | undefined): Date | undefined;
/** `[tag] EXPLICIT inner`. */
export declare const explicit: (tag: number, inner: Asn1) => Asn1;
/** `[tag] IMPLICIT` constructed contents (e.g. a CSR's attributes). */
export declare const implicitConstructed: (tag: number, items: Asn1[]) => Asn1;
/** `[tag] IMPLICIT` primitive contents (e.g. a GeneralName's URI or DNS name). */
export declare const implicitPrimitive: (tag: number, bytes: string) => Asn1;
export declare const encode: (node: Asn1) => Buffer;
/** A SEQUENCE around already-encoded elements, which are copied as they are, not re-encoded. */
export declare function concatSequence(elements: readonly Buffer[]): Buffer;
/**
 * Parses DER strictly: all bytes consumed, lengths checked, BIT STRING contents left as bytes (forge
 * would otherwise try to read an ECDSA signature or a public key as nested ASN.1).
 */
export declare function decode(der: Uint8Array, code: PkiErrorCode, what: string): Asn1;
export declare function isNode(node: Asn1 | undefined, type: forge.asn1.Type | number, tagClass?: forge.asn1.Class): node is Asn1;
/** The children of a constructed node, or `undefined` when it is not one of the given type. */
export declare function childrenOf(node: Asn1 | undefined, type?: forge.asn1.Type): Asn1[] | undefined;
/** The bytes of a primitive node of the given type, or `undefined`. */
export declare function bytesOf(node: Asn1 | undefined, type: forge.asn1.Type | number, tagClass?: forge.asn1.Class): string | undefined;
export declare function readOid(node: Asn1 | undefined): string | undefined;
/** The whole-byte contents of a BIT STRING (its unused-bits byte must be 0). */
export declare function readBitStringBytes(node: Asn1 | undefined): Buffer | undefined;
/**
 * The exact encoded bytes of the element at `path` (child indices from the outermost element).
 * Signatures cover the bytes that were received, so they are sliced out rather than re-encoded.
 */
export declare function rawElement(der: Buffer, path: readonly number[]): Buffer;
//# sourceMappingURL=der.d.ts.map