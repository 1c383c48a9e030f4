import { type KeyObject } from 'node:crypto';
import { type Asn1 } from './der.js';
import { type PkiErrorCode } from './errors.js';
import { type KeyAlgorithm } from './keys.js';
/**
 * X.509/PKCS#10 signature algorithms, computed by Node's crypto (OpenSSL) so ECDSA works, which
 * node-forge's pki module cannot do. ECDSA signatures are DER `Ecdsa-Sig-Value`s, Node's default.
 */
export interface SignatureAlgorithm {
    name: string;
    oid: string;
    hash: 'sha256' | 'sha384' | 'sha512';
    keyType: 'ec' | 'rsa';
}
/** What we sign with, as Go's crypto/x509 chooses: SHA-384 for P-384, SHA-256 otherwise. */
export declare function signatureAlgorithmFor(key: KeyObject): SignatureAlgorithm;
/** The AlgorithmIdentifier: RSA carries explicit NULL parameters, ECDSA none (RFC 3279, 5758). */
export declare function algorithmIdentifier(algorithm: SignatureAlgorithm): Asn1;
/** Reads an AlgorithmIdentifier; throws `PKI_UNSUPPORTED_ALGORITHM` for any other algorithm. */
export declare function readAlgorithmIdentifier(node: Asn1 | undefined, code: PkiErrorCode, what: string): SignatureAlgorithm;
export declare function signWith(algorithm: SignatureAlgorithm, key: KeyObject, data: Uint8Array): Buffer;
/**
 * Verifies `signature` over `data`; throws `PKI_BAD_SIGNATURE` when it does not verify or when the
 * algorithm does not fit the key (an "RSA" signature claimed for an EC key).
 */
export declare function verifyWith(algorithm: SignatureAlgorithm, key: KeyObject, keyAlgorithm: KeyAlgorithm, data: Uint8Array, signature: Uint8Array, what: string): void;
//# sourceMappingURL=signature-algorithms.d.ts.map