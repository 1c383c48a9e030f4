import { KeyObject } from 'node:crypto';
import { type Asn1 } from './der.js';
import { type PkiErrorCode } from './errors.js';
/**
 * Key pairs, made and read with Node's native crypto. Istio's workload keys are RSA 2048 by default
 * or ECDSA P-256 with `ECC_SIGNATURE_ALGORITHM=ECDSA` (P-384 with `ECC_CURVE`); plug-in CAs often
 * use RSA 4096. We default to ECDSA P-256: smaller, and an order of magnitude faster to sign with.
 */
export type KeyAlgorithm = 'ECDSA_P256' | 'ECDSA_P384' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
export declare const KEY_ALGORITHMS: readonly KeyAlgorithm[];
export interface KeyPair {
    algorithm: KeyAlgorithm;
    /** PKCS#8 (`-----BEGIN PRIVATE KEY-----`), unencrypted: write it with mode 0600. */
    privateKeyPem: string;
    /** SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`). */
    publicKeyPem: string;
}
/** Generates a key pair synchronously (an RSA key takes tens to hundreds of milliseconds). */
export declare function generateKeyPair(algorithm?: KeyAlgorithm): KeyPair;
/** Generates a key pair on libuv's thread pool, leaving the event loop free (use it for RSA). */
export declare function generateKeyPairAsync(algorithm?: KeyAlgorithm): Promise<KeyPair>;
/**
 * Reads a private key from PEM: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`, what Istio's
 * tooling writes for `ca-key.pem`) or SEC 1 (`EC PRIVATE KEY`). Encrypted keys are refused.
 */
export declare function loadPrivateKey(pem: string | KeyObject, what?: string): KeyObject;
/** Reads a public key from a `PUBLIC KEY` PEM, a certificate PEM, or a private key PEM. */
export declare function loadPublicKey(pem: string | KeyObject, what?: string): KeyObject;
/**
 * A public KeyObject from SubjectPublicKeyInfo DER. Node 24 takes ~2x longer for
 * `{ format: 'der', type: 'spki' }` than for the same key as PEM text (its KeyObject/CryptoKey
 * checks on the options object dominate), and this runs for every CSR, so it goes through PEM.
 */
export declare function publicKeyFromSpki(der: Buffer, what?: string, code?: PkiErrorCode): KeyObject;
/**
 * The algorithm of a key given as a private key, public key or certificate PEM (or a KeyObject).
 * Throws `PKI_UNSUPPORTED_ALGORITHM` for keys we neither issue for nor sign with (Ed25519, RSA
 * below 2048 bits, other curves).
 */
export declare function detectKeyAlgorithm(pem: string | KeyObject): KeyAlgorithm;
export declare function keyAlgorithmOf(key: KeyObject): KeyAlgorithm;
/**
 * The algorithm of a SubjectPublicKeyInfo, read from its ASN.1 rather than from a KeyObject (whose
 * `asymmetricKeyDetails` costs more than the rest of CSR parsing together); same answers, same errors.
 */
export declare function keyAlgorithmOfSpki(spki: Asn1): KeyAlgorithm;
//# sourceMappingURL=keys.d.ts.map