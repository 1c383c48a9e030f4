import { createHash, randomBytes } from 'node:crypto';
import { bitString, childrenOf, concatSequence, encode, explicit, readBitStringBytes, sequence, smallInteger, time, unsignedInteger, } from './der.js';
import { PkiError } from './errors.js';
import { algorithmIdentifier, signatureAlgorithmFor, signWith, } from './signature-algorithms.js';
/** Prepares everything about a signing key that does not change between certificates. */
export function createSigner(key) {
    const algorithm = signatureAlgorithmFor(key);
    const identifier = algorithmIdentifier(algorithm);
    return { key, algorithm, algorithmIdentifier: identifier, algorithmIdentifierDer: encode(identifier) };
}
const VERSION_3 = explicit(0, smallInteger(2));
/** Builds and signs a certificate; returns its DER and the serial number used. */
export function buildCertificate(fields, signer) {
    if (!(fields.notAfter.getTime() > fields.notBefore.getTime())) {
        throw new PkiError('PKI_INVALID_ARGUMENT', `notAfter ${fields.notAfter.toISOString()} is not after notBefore ${fields.notBefore.toISOString()}`);
    }
    const serialNumber = fields.serialNumber ?? randomSerialNumber();
    const parts = [
        VERSION_3,
        unsignedInteger(serialNumber),
        signer.algorithmIdentifier,
        fields.issuer,
        sequence([time(fields.notBefore), time(fields.notAfter)]),
        fields.subject,
        fields.publicKeyInfo,
    ];
    if (fields.extensions.length > 0)
        parts.push(explicit(3, sequence(fields.extensions)));
    const tbs = encode(sequence(parts));
    const signature = signWith(signer.algorithm, signer.key, tbs);
    return {
        der: concatSequence([tbs, signer.algorithmIdentifierDer, encode(bitString(signature))]),
        serialNumber,
    };
}
/**
 * A random positive serial of 128 bits (RFC 5280 allows up to 20 octets; CA/B Forum asks for at
 * least 64 random bits), drawn the way Go's `rand.Int(rand.Reader, 2^128)` is.
 */
export function randomSerialNumber() {
    const serial = randomBytes(16);
    if (serial.every((byte) => byte === 0))
        serial[15] = 1;
    return serial;
}
/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
export function keyIdentifier(publicKeyInfo) {
    const key = readBitStringBytes(childrenOf(publicKeyInfo)?.[1]);
    if (key === undefined)
        throw new PkiError('PKI_INVALID_KEY', 'public key has no subjectPublicKey bits');
    return createHash('sha1').update(key).digest();
}
//# sourceMappingURL=x509-builder.js.map