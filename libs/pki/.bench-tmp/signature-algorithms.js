import { sign, verify } from 'node:crypto';
import { childrenOf, isNode, nullValue, oid, readOid, sequence } from './der.js';
import { PkiError } from './errors.js';
import { keyAlgorithmOf } from './keys.js';
const ALGORITHMS = [
    { name: 'ecdsa-with-SHA256', oid: '1.2.840.10045.4.3.2', hash: 'sha256', keyType: 'ec' },
    { name: 'ecdsa-with-SHA384', oid: '1.2.840.10045.4.3.3', hash: 'sha384', keyType: 'ec' },
    { name: 'ecdsa-with-SHA512', oid: '1.2.840.10045.4.3.4', hash: 'sha512', keyType: 'ec' },
    { name: 'sha256WithRSAEncryption', oid: '1.2.840.113549.1.1.11', hash: 'sha256', keyType: 'rsa' },
    { name: 'sha384WithRSAEncryption', oid: '1.2.840.113549.1.1.12', hash: 'sha384', keyType: 'rsa' },
    { name: 'sha512WithRSAEncryption', oid: '1.2.840.113549.1.1.13', hash: 'sha512', keyType: 'rsa' },
];
const BY_OID = new Map(ALGORITHMS.map((algorithm) => [algorithm.oid, algorithm]));
const byName = (name) => ALGORITHMS.find((algorithm) => algorithm.name === name);
/** What we sign with, as Go's crypto/x509 chooses: SHA-384 for P-384, SHA-256 otherwise. */
export function signatureAlgorithmFor(key) {
    const algorithm = keyAlgorithmOf(key);
    if (algorithm === 'ECDSA_P256')
        return byName('ecdsa-with-SHA256');
    if (algorithm === 'ECDSA_P384')
        return byName('ecdsa-with-SHA384');
    return byName('sha256WithRSAEncryption');
}
/** The AlgorithmIdentifier: RSA carries explicit NULL parameters, ECDSA none (RFC 3279, 5758). */
export function algorithmIdentifier(algorithm) {
    return algorithm.keyType === 'rsa'
        ? sequence([oid(algorithm.oid), nullValue()])
        : sequence([oid(algorithm.oid)]);
}
/** Reads an AlgorithmIdentifier; throws `PKI_UNSUPPORTED_ALGORITHM` for any other algorithm. */
export function readAlgorithmIdentifier(node, code, what) {
    const parts = childrenOf(node);
    const dotted = readOid(parts?.[0]);
    if (parts === undefined || dotted === undefined) {
        throw new PkiError(code, `${what} has no valid signature AlgorithmIdentifier`);
    }
    const algorithm = BY_OID.get(dotted);
    if (algorithm === undefined) {
        throw new PkiError('PKI_UNSUPPORTED_ALGORITHM', `${what} is signed with algorithm ${dotted}; supported: ${ALGORITHMS.map((a) => a.name).join(', ')}`);
    }
    const parameters = parts[1];
    const parametersOk = algorithm.keyType === 'rsa'
        ? parts.length === 1 || (parts.length === 2 && isNode(parameters, 5))
        : parts.length === 1;
    if (!parametersOk)
        throw new PkiError(code, `${what} has unexpected ${algorithm.name} parameters`);
    return algorithm;
}
export function signWith(algorithm, key, data) {
    return sign(algorithm.hash, data, key);
}
/**
 * Verifies `signature` over `data`; throws `PKI_BAD_SIGNATURE` when it does not verify or when the
 * algorithm does not fit the key (an "RSA" signature claimed for an EC key).
 */
export function verifyWith(algorithm, key, keyAlgorithm, data, signature, what) {
    if (!keyAlgorithm.startsWith(algorithm.keyType === 'ec' ? 'ECDSA' : 'RSA')) {
        throw new PkiError('PKI_BAD_SIGNATURE', `${what} claims ${algorithm.name} but its key is ${keyAlgorithm}`);
    }
    let valid;
    try {
        valid = verify(algorithm.hash, data, key, signature);
    }
    catch (error) {
        throw new PkiError('PKI_BAD_SIGNATURE', `${what} has a malformed signature`, { cause: error });
    }
    if (!valid)
        throw new PkiError('PKI_BAD_SIGNATURE', `${what} signature does not verify`);
}
//# sourceMappingURL=signature-algorithms.js.map