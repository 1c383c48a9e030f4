import { isIP } from 'node:net';
import forge from 'node-forge';
import { boolean, bytesOf, childrenOf, decode, fromBinary, implicitPrimitive, isNode, octetString, oid, readOid, sequence, smallInteger, toBinary, } from './der.js';
import { PkiError } from './errors.js';
/** X.509 v3 extensions (RFC 5280 §4.2) that Istio's certificates carry, and their OIDs. */
export const OID = {
    subjectKeyIdentifier: '2.5.29.14',
    keyUsage: '2.5.29.15',
    subjectAltName: '2.5.29.17',
    basicConstraints: '2.5.29.19',
    authorityKeyIdentifier: '2.5.29.35',
    extKeyUsage: '2.5.29.37',
    serverAuth: '1.3.6.1.5.5.7.3.1',
    clientAuth: '1.3.6.1.5.5.7.3.2',
    extensionRequest: '1.2.840.113549.1.9.14',
    organizationName: '2.5.4.10',
    commonName: '2.5.4.3',
};
/** GeneralName tags (RFC 5280 §4.2.1.6). */
const DNS_NAME = 2;
const URI = 6;
const IP_ADDRESS = 7;
export function extension(extnId, critical, value) {
    const parts = [oid(extnId)];
    if (critical)
        parts.push(boolean(true));
    parts.push(octetString(forge.asn1.toDer(value).getBytes()));
    return sequence(parts);
}
/** Critical when the subject is empty, as RFC 5280 §4.2.1.6 requires and Istio does. */
export function subjectAltNameExtension(names, critical) {
    const general = [];
    for (const uri of names.uris ?? [])
        general.push(implicitPrimitive(URI, ia5(uri, 'URI')));
    for (const dns of names.dnsNames ?? [])
        general.push(implicitPrimitive(DNS_NAME, ia5(dns, 'DNS name')));
    for (const ip of names.ipAddresses ?? [])
        general.push(implicitPrimitive(IP_ADDRESS, toBinary(ipBytes(ip))));
    if (general.length === 0)
        throw new PkiError('PKI_INVALID_ARGUMENT', 'a certificate needs at least one SAN');
    return extension(OID.subjectAltName, critical, sequence(general));
}
function ia5(text, what) {
    if (text.length === 0 || !/^[\x21-\x7e]+$/.test(text)) {
        throw new PkiError('PKI_INVALID_ARGUMENT', `${what} "${text}" must be non-empty printable ASCII`);
    }
    return text;
}
function ipBytes(ip) {
    const version = isIP(ip);
    if (version === 4)
        return Buffer.from(ip.split('.').map(Number));
    if (version !== 6)
        throw new PkiError('PKI_INVALID_ARGUMENT', `"${ip}" is not an IP address`);
    let text = ip;
    const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (dotted) {
        // An embedded IPv4 tail (::ffff:10.0.0.1) is two more 16-bit groups.
        const v4 = ipBytes(dotted[1]);
        text = `${text.slice(0, dotted.index)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
    }
    const [head = '', tail] = text.split('::');
    const headGroups = head === '' ? [] : head.split(':');
    const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
    const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
    const groups = [...headGroups, ...Array(zeros).fill('0'), ...tailGroups];
    const bytes = Buffer.alloc(16);
    groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
    return bytes;
}
function formatIp(bytes) {
    if (bytes.length === 4)
        return [...bytes].join('.');
    const groups = [];
    for (let i = 0; i < bytes.length; i += 2)
        groups.push(bytes.readUInt16BE(i).toString(16));
    return groups.join(':');
}
/** Reads GeneralNames from an extnValue; names of other kinds (email, directory) are ignored. */
export function readSubjectAltNames(extnValue, code, what) {
    const names = childrenOf(decode(extnValue, code, `${what} subjectAltName`));
    if (names === undefined)
        throw new PkiError(code, `${what} subjectAltName is not a SEQUENCE`);
    const result = { uris: [], dnsNames: [], ipAddresses: [] };
    for (const name of names) {
        const context = forge.asn1.Class.CONTEXT_SPECIFIC;
        const uri = bytesOf(name, URI, context);
        const dns = bytesOf(name, DNS_NAME, context);
        const ip = bytesOf(name, IP_ADDRESS, context);
        if (uri !== undefined)
            result.uris.push(uri);
        else if (dns !== undefined)
            result.dnsNames.push(dns);
        else if (ip !== undefined)
            result.ipAddresses.push(formatIp(fromBinary(ip)));
    }
    return result;
}
/** BasicConstraints, always critical (as Go writes it). */
export function basicConstraintsExtension(ca, pathLength) {
    const parts = [];
    if (ca)
        parts.push(boolean(true));
    if (ca && pathLength !== undefined)
        parts.push(smallInteger(pathLength));
    return extension(OID.basicConstraints, true, sequence(parts));
}
const KEY_USAGE_BITS = {
    digitalSignature: 0,
    keyEncipherment: 2,
    keyCertSign: 5,
    cRLSign: 6,
};
/** KeyUsage, critical; a named-bit BIT STRING with trailing zero bits dropped (X.690 §11.2.2). */
export function keyUsageExtension(usages) {
    const bits = usages.map((usage) => KEY_USAGE_BITS[usage]);
    const highest = Math.max(...bits);
    let byte = 0;
    for (const bit of bits)
        byte |= 0x80 >> bit;
    const value = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.BITSTRING, false, String.fromCharCode(7 - highest, byte));
    return extension(OID.keyUsage, true, value);
}
/** The usages set in a KeyUsage extnValue. */
export function readKeyUsage(extnValue, code, what) {
    const bytes = bytesOf(decode(extnValue, code, `${what} keyUsage`), forge.asn1.Type.BITSTRING);
    if (bytes === undefined)
        throw new PkiError(code, `${what} keyUsage is not a BIT STRING`);
    const usages = new Set();
    for (const [usage, bit] of Object.entries(KEY_USAGE_BITS)) {
        if ((bytes.charCodeAt(1 + (bit >> 3)) << (bit & 7)) & 0x80)
            usages.add(usage);
    }
    return usages;
}
export function extKeyUsageExtension(purposes) {
    return extension(OID.extKeyUsage, false, sequence(purposes.map(oid)));
}
export function subjectKeyIdentifierExtension(keyId) {
    return extension(OID.subjectKeyIdentifier, false, octetString(keyId));
}
export function authorityKeyIdentifierExtension(keyId) {
    return extension(OID.authorityKeyIdentifier, false, sequence([implicitPrimitive(0, toBinary(keyId))]));
}
/** The keyIdentifier of a SubjectKeyIdentifier extnValue. */
export function readKeyIdentifier(extnValue, code, what) {
    const bytes = bytesOf(decode(extnValue, code, `${what} subjectKeyIdentifier`), forge.asn1.Type.OCTETSTRING);
    if (bytes === undefined)
        throw new PkiError(code, `${what} subjectKeyIdentifier is not an OCTET STRING`);
    return fromBinary(bytes);
}
/** Extensions by OID from a SEQUENCE OF Extension; a repeated OID is malformed (RFC 5280 §4.2). */
export function readExtensions(node, code, what) {
    const result = new Map();
    for (const item of childrenOf(node) ?? []) {
        const parts = childrenOf(item) ?? [];
        const extnId = readOid(parts[0]);
        const hasCritical = isNode(parts[1], forge.asn1.Type.BOOLEAN);
        const value = bytesOf(parts[hasCritical ? 2 : 1], forge.asn1.Type.OCTETSTRING);
        if (extnId === undefined || value === undefined || result.has(extnId)) {
            throw new PkiError(code, `${what} has a malformed or repeated extension`);
        }
        const critical = hasCritical && bytesOf(parts[1], forge.asn1.Type.BOOLEAN) !== '\x00';
        result.set(extnId, { critical, value: fromBinary(value) });
    }
    return result;
}
//# sourceMappingURL=x509-extensions.js.map