import { type KeyObject } from 'node:crypto';
import { type Asn1 } from './der.js';
import { type SignatureAlgorithm } from './signature-algorithms.js';
/**
 * X.509 v3 certificates (RFC 5280 §4.1): the TBSCertificate is built with forge.asn1 and signed by
 * Node's crypto, so RSA and ECDSA issuer keys both work. The caller decides what goes in (names,
 * extensions); this file only knows the structure.
 */
export interface Signer {
    key: KeyObject;
    algorithm: SignatureAlgorithm;
    /** The AlgorithmIdentifier node (inside the TBS) and its DER (outside it), built once. */
    algorithmIdentifier: Asn1;
    algorithmIdentifierDer: Buffer;
}
/** Prepares everything about a signing key that does not change between certificates. */
export declare function createSigner(key: KeyObject): Signer;
export interface CertificateFields {
    /** Magnitude bytes of a positive serial; a random 128-bit one when absent. */
    serialNumber?: Buffer;
    issuer: Asn1;
    subject: Asn1;
    /** SubjectPublicKeyInfo node. */
    publicKeyInfo: Asn1;
    notBefore: Date;
    notAfter: Date;
    /** Extension nodes, in the order they are to appear. */
    extensions: Asn1[];
}
export interface BuiltCertificate {
    der: Buffer;
    serialNumber: Buffer;
}
/** Builds and signs a certificate; returns its DER and the serial number used. */
export declare function buildCertificate(fields: CertificateFields, signer: Signer): BuiltCertificate;
/**
 * A random positive serial of 128 bits (RFC 5280 allows up to 20 octets; CA/B Forum asks for at
 * least 64 random bits), drawn the way Go's `rand.Int(rand.Reader, 2^128)` is.
 */
export declare function randomSerialNumber(): Buffer;
/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
export declare function keyIdentifier(publicKeyInfo: Asn1): Buffer;
//# sourceMappingURL=x509-builder.d.ts.map