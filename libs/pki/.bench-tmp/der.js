import forge from 'node-forge';
import { PkiError } from './errors.js';
/**
 * DER building and reading on top of `forge.asn1`, whose values are binary strings ("latin1": one
 * char per byte); Node's crypto wants Buffers, so the conversions live here and nowhere else.
 */
const { asn1 } = forge;
const UNIVERSAL = asn1.Class.UNIVERSAL;
const CONTEXT = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;
export const toBinary = (bytes) => Buffer.from(bytes).toString('latin1');
export const fromBinary = (bytes) => Buffer.from(bytes, 'latin1');
export const sequence = (items) => asn1.create(UNIVERSAL, T.SEQUENCE, true, items);
export const set = (items) => asn1.create(UNIVERSAL, T.SET, true, items);
export const nullValue = () => asn1.create(UNIVERSAL, T.NULL, false, '');
export const boolean = (value) => asn1.create(UNIVERSAL, T.BOOLEAN, false, value ? '\xff' : '\x00');
export const octetString = (bytes) => asn1.create(UNIVERSAL, T.OCTETSTRING, false, typeof bytes === 'string' ? bytes : toBinary(bytes));
/** A BIT STRING holding whole bytes (no unused bits): signatures, public keys. */
export const bitString = (bytes) => asn1.create(UNIVERSAL, T.BITSTRING, false, '\x00' + toBinary(bytes));
export const utf8String = (text) => asn1.create(UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(text));
export const smallInteger = (value) => asn1.create(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(value).getBytes());
const oidCache = new Map();
/** An OBJECT IDENTIFIER; the encodings are cached because the same few OIDs recur on every call. */
export function oid(dotted) {
    let der = oidCache.get(dotted);
    if (der === undefined) {
        der = asn1.oidToDer(dotted).getBytes();
        oidCache.set(dotted, der);
    }
    return asn1.create(UNIVERSAL, T.OID, false, der);
}
/** An INTEGER from big-endian unsigned magnitude bytes, minimally encoded and kept positive. */
export function unsignedInteger(magnitude) {
    let start = 0;
    while (start < magnitude.length - 1 && magnitude[start] === 0)
        start++;
    const trimmed = magnitude.subarray(start);
    const bytes = (trimmed[0] ?? 0) & 0x80 ? '\x00' + toBinary(trimmed) : toBinary(trimmed);
    return asn1.create(UNIVERSAL, T.INTEGER, false, bytes || '\x00');
}
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export function time(date) {
    const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
    return seconds.getUTCFullYear() < 2050
        ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(seconds))
        : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(seconds));
}
export function readTime(node) {
    if (node?.tagClass !== UNIVERSAL || typeof node.value !== 'string')
        return undefined;
    if (node.type === T.UTCTIME)
        return asn1.utcTimeToDate(node.value);
    if (node.type === T.GENERALIZEDTIME)
        return asn1.generalizedTimeToDate(node.value);
    return undefined;
}
/** `[tag] EXPLICIT inner`. */
export const explicit = (tag, inner) => asn1.create(CONTEXT, tag, true, [inner]);
/** `[tag] IMPLICIT` constructed contents (e.g. a CSR's attributes). */
export const implicitConstructed = (tag, items) => asn1.create(CONTEXT, tag, true, items);
/** `[tag] IMPLICIT` primitive contents (e.g. a GeneralName's URI or DNS name). */
export const implicitPrimitive = (tag, bytes) => asn1.create(CONTEXT, tag, false, bytes);
export const encode = (node) => fromBinary(asn1.toDer(node).getBytes());
/** A SEQUENCE around already-encoded elements, which are copied as they are, not re-encoded. */
export function concatSequence(elements) {
    let length = 0;
    for (const element of elements)
        length += element.length;
    let header;
    if (length < 0x80) {
        header = Buffer.from([0x30, length]);
    }
    else {
        const lengthBytes = [];
        for (let n = length; n > 0; n = Math.floor(n / 256))
            lengthBytes.unshift(n & 0xff);
        header = Buffer.from([0x30, 0x80 | lengthBytes.length, ...lengthBytes]);
    }
    return Buffer.concat([header, ...elements]);
}
/**
 * Parses DER strictly: all bytes consumed, lengths checked, BIT STRING contents left as bytes (forge
 * would otherwise try to read an ECDSA signature or a public key as nested ASN.1).
 */
export function decode(der, code, what) {
    try {
        const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
        return asn1.fromDer(toBinary(der), options);
    }
    catch (error) {
        throw new PkiError(code, `${what} is not valid DER: ${error.message}`, { cause: error });
    }
}
export function isNode(node, type, tagClass = UNIVERSAL) {
    return node !== undefined && node.tagClass === tagClass && node.type === type;
}
/** The children of a constructed node, or `undefined` when it is not one of the given type. */
export function childrenOf(node, type = T.SEQUENCE) {
    return isNode(node, type) && Array.isArray(node.value) ? node.value : undefined;
}
/** The bytes of a primitive node of the given type, or `undefined`. */
export function bytesOf(node, type, tagClass = UNIVERSAL) {
    return isNode(node, type, tagClass) && typeof node.value === 'string' ? node.value : undefined;
}
export function readOid(node) {
    const bytes = bytesOf(node, T.OID);
    return bytes === undefined ? undefined : asn1.derToOid(bytes);
}
/** The whole-byte contents of a BIT STRING (its unused-bits byte must be 0). */
export function readBitStringBytes(node) {
    const bytes = bytesOf(node, T.BITSTRING);
    return bytes === undefined || bytes.charCodeAt(0) !== 0 ? undefined : fromBinary(bytes.slice(1));
}
/**
 * The exact encoded bytes of the element at `path` (child indices from the outermost element).
 * Signatures cover the bytes that were received, so they are sliced out rather than re-encoded.
 */
export function rawElement(der, path) {
    let start = 0;
    let end = der.length;
    for (const index of path) {
        let child = start + headerLength(der, start);
        for (let i = 0; i < index; i++)
            child = elementEnd(der, child);
        if (child >= end)
            throw new RangeError(`DER element ${path.join('.')} does not exist`);
        start = child;
        end = elementEnd(der, child);
    }
    return der.subarray(start, end);
}
function headerLength(der, at) {
    const first = der[at + 1];
    if (first === undefined)
        throw new RangeError('truncated DER');
    return first < 0x80 ? 2 : 2 + (first & 0x7f);
}
function elementEnd(der, at) {
    const first = der[at + 1];
    if (first === undefined)
        throw new RangeError('truncated DER');
    let length = first;
    if (first >= 0x80) {
        length = 0;
        for (let i = 0; i < (first & 0x7f); i++)
            length = length * 256 + (der[at + 2 + i] ?? 0);
    }
    return at + headerLength(der, at) + length;
}
//# sourceMappingURL=der.js.map