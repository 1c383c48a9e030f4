import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCallback, generateKeyPairSync, KeyObject, X509Certificate, } from 'node:crypto';
import { bytesOf, childrenOf, decode, readBitStringBytes, readOid } from './der.js';
import { PkiError } from './errors.js';
import { decodePemBlocks } from './pem.js';
export const KEY_ALGORITHMS = [
    'ECDSA_P256',
    'ECDSA_P384',
    'RSA_2048',
    'RSA_3072',
    'RSA_4096',
];
const PEM_OUTPUT = {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
};
function keyGenParameters(algorithm) {
    switch (algorithm) {
        case 'ECDSA_P256':
            return { type: 'ec', options: { namedCurve: 'prime256v1', ...PEM_OUTPUT } };
        case 'ECDSA_P384':
            return { type: 'ec', options: { namedCurve: 'secp384r1', ...PEM_OUTPUT } };
        case 'RSA_2048':
        case 'RSA_3072':
        case 'RSA_4096':
            return { type: 'rsa', options: { modulusLength: Number(algorithm.slice(4)), ...PEM_OUTPUT } };
        default:
            throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `key algorithm "${String(algorithm)}" is not one of ${KEY_ALGORITHMS.join(', ')}`);
    }
}
/** Generates a key pair synchronously (an RSA key takes tens to hundreds of milliseconds). */
export function generateKeyPair(algorithm = 'ECDSA_P256') {
    const { type, options } = keyGenParameters(algorithm);
    const { privateKey, publicKey } = type === 'ec' ? generateKeyPairSync(type, options) : generateKeyPairSync(type, options);
    return { algorithm, privateKeyPem: privateKey, publicKeyPem: publicKey };
}
/** Generates a key pair on libuv's thread pool, leaving the event loop free (use it for RSA). */
export async function generateKeyPairAsync(algorithm = 'ECDSA_P256') {
    const { type, options } = keyGenParameters(algorithm);
    const { privateKey, publicKey } = await new Promise((resolve, reject) => {
        const done = (error, publicKey, privateKey) => error ? reject(error) : resolve({ privateKey, publicKey });
        if (type === 'ec')
            generateKeyPairCallback(type, options, done);
        else
            generateKeyPairCallback(type, options, done);
    });
    return { algorithm, privateKeyPem: privateKey, publicKeyPem: publicKey };
}
/**
 * Reads a private key from PEM: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`, what Istio's
 * tooling writes for `ca-key.pem`) or SEC 1 (`EC PRIVATE KEY`). Encrypted keys are refused.
 */
export function loadPrivateKey(pem, what = 'private key') {
    if (pem instanceof KeyObject) {
        if (pem.type !== 'private')
            throw new PkiError('PKI_INVALID_KEY', `${what} is a ${pem.type} key`);
        return pem;
    }
    if (typeof pem === 'string' && pem.includes('ENCRYPTED')) {
        throw new PkiError('PKI_INVALID_KEY', `${what} is encrypted; decrypt it first (openssl pkey -in ...)`);
    }
    try {
        return createPrivateKey({ key: pem, format: 'pem' });
    }
    catch (error) {
        throw new PkiError('PKI_INVALID_KEY', `${what} cannot be read: ${error.message}`, {
            cause: error,
        });
    }
}
/** Reads a public key from a `PUBLIC KEY` PEM, a certificate PEM, or a private key PEM. */
export function loadPublicKey(pem, what = 'key') {
    if (pem instanceof KeyObject)
        return pem.type === 'public' ? pem : createPublicKey(pem);
    const label = typeof pem === 'string' ? decodePemBlocks(pem)[0]?.label : undefined;
    try {
        if (label === 'CERTIFICATE')
            return new X509Certificate(pem).publicKey;
        if (label !== undefined && label.endsWith('PRIVATE KEY'))
            return createPublicKey(loadPrivateKey(pem, what));
        return createPublicKey({ key: pem, format: 'pem' });
    }
    catch (error) {
        if (error instanceof PkiError)
            throw error;
        throw new PkiError('PKI_INVALID_KEY', `${what} cannot be read: ${error.message}`, {
            cause: error,
        });
    }
}
/**
 * A public KeyObject from SubjectPublicKeyInfo DER. Node 24 takes ~2x longer for
 * `{ format: 'der', type: 'spki' }` than for the same key as PEM text (its KeyObject/CryptoKey
 * checks on the options object dominate), and this runs for every CSR, so it goes through PEM.
 */
export function publicKeyFromSpki(der, what = 'public key', code = 'PKI_INVALID_KEY') {
    try {
        return createPublicKey(`-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`);
    }
    catch (error) {
        throw new PkiError(code, `${what} cannot be read: ${error.message}`, { cause: error });
    }
}
/**
 * The algorithm of a key given as a private key, public key or certificate PEM (or a KeyObject).
 * Throws `PKI_UNSUPPORTED_ALGORITHM` for keys we neither issue for nor sign with (Ed25519, RSA
 * below 2048 bits, other curves).
 */
export function detectKeyAlgorithm(pem) {
    return keyAlgorithmOf(loadPublicKey(pem));
}
export function keyAlgorithmOf(key) {
    const details = key.asymmetricKeyDetails ?? {};
    if (key.asymmetricKeyType === 'ec') {
        if (details.namedCurve === 'prime256v1')
            return 'ECDSA_P256';
        if (details.namedCurve === 'secp384r1')
            return 'ECDSA_P384';
        throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `EC curve ${details.namedCurve} is not supported`);
    }
    if (key.asymmetricKeyType === 'rsa') {
        const bits = details.modulusLength ?? 0;
        const algorithm = `RSA_${bits}`;
        if (KEY_ALGORITHMS.includes(algorithm))
            return algorithm;
        throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `RSA keys of ${bits} bits are not supported (use 2048, 3072 or 4096)`);
    }
    throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `${key.asymmetricKeyType} keys are not supported`);
}
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const CURVES = {
    '1.2.840.10045.3.1.7': 'ECDSA_P256',
    '1.3.132.0.34': 'ECDSA_P384',
};
/**
 * The algorithm of a SubjectPublicKeyInfo, read from its ASN.1 rather than from a KeyObject (whose
 * `asymmetricKeyDetails` costs more than the rest of CSR parsing together); same answers, same errors.
 */
export function keyAlgorithmOfSpki(spki) {
    const [identifier, bits] = childrenOf(spki) ?? [];
    const [algorithm, parameters] = childrenOf(identifier) ?? [];
    const dotted = readOid(algorithm);
    if (dotted === EC_PUBLIC_KEY) {
        const curve = readOid(parameters) ?? 'not a named curve';
        const known = CURVES[curve];
        if (known === undefined)
            throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `EC curve ${curve} is not supported`);
        return known;
    }
    if (dotted === RSA_ENCRYPTION) {
        const key = readBitStringBytes(bits);
        const modulus = key && bytesOf(childrenOf(decode(key, 'PKI_INVALID_KEY', 'RSA public key'))?.[0], 2);
        if (modulus === undefined)
            throw new PkiError('PKI_INVALID_KEY', 'RSA public key has no modulus');
        let start = 0;
        while (start < modulus.length - 1 && modulus.charCodeAt(start) === 0)
            start++;
        const length = (modulus.length - start) * 8 - (Math.clz32(modulus.charCodeAt(start)) - 24);
        const name = `RSA_${length}`;
        if (KEY_ALGORITHMS.includes(name))
            return name;
        throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `RSA keys of ${length} bits are not supported (use 2048, 3072 or 4096)`);
    }
    throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `public key algorithm ${dotted ?? '(none)'} is not supported`);
}
//# sourceMappingURL=keys.js.map