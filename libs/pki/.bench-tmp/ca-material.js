import { checkValidity, describe, parseCertificate } from './certificate-info.js';
import { PkiError } from './errors.js';
import { loadPrivateKey } from './keys.js';
import { CERTIFICATE_LABEL, decodePem, encodePem } from './pem.js';
import { TrustBundle } from './trust-bundle.js';
/**
 * Throws `PKI_KEY_MISMATCH` (key of another certificate), `PKI_NOT_A_CA` (no CA:TRUE, or a KeyUsage
 * without keyCertSign), `PKI_EXPIRED`/`PKI_NOT_YET_VALID`, `PKI_UNTRUSTED_CHAIN` (does not lead to
 * a root of `root-cert.pem`), or the parse errors of the files.
 */
export function loadCaMaterial(pem) {
    const certificate = parseCertificate(pem.certPem, 'CA certificate (ca-cert.pem)');
    const key = loadPrivateKey(pem.keyPem, 'CA key (ca-key.pem)');
    if (!certificate.x509.checkPrivateKey(key)) {
        throw new PkiError('PKI_KEY_MISMATCH', `ca-key.pem is not the private key of ca-cert.pem (${describe(certificate)})`);
    }
    if (!certificate.isCa || (certificate.keyUsage && !certificate.keyUsage.includes('keyCertSign'))) {
        throw new PkiError('PKI_NOT_A_CA', `ca-cert.pem (${describe(certificate)}) is not a CA certificate allowed to sign certificates ` +
            '(needs basicConstraints CA:TRUE and keyUsage keyCertSign)');
    }
    const now = pem.now ?? new Date();
    checkValidity(certificate, now, 'CA certificate (ca-cert.pem)');
    const trustBundle = TrustBundle.fromPem(pem.rootCertPem, 'root-cert.pem');
    // Istio's cert-chain.pem usually repeats ca-cert.pem first and the root last; keep what is between.
    const intermediates = (pem.certChainPem ? decodePem(pem.certChainPem, [CERTIFICATE_LABEL], 'cert-chain.pem') : [])
        .map((der) => encodePem(CERTIFICATE_LABEL, der))
        .filter((text) => text !== certificate.pem && !trustBundle.has(text));
    try {
        const { path } = trustBundle.verifyChain([certificate.pem, ...intermediates], { now });
        return { certificate, key, path, trustBundle };
    }
    catch (error) {
        if (!(error instanceof PkiError))
            throw error;
        throw new PkiError(error.code, `ca-cert.pem does not chain to root-cert.pem through cert-chain.pem: ${error.message}`, { cause: error });
    }
}
//# sourceMappingURL=ca-material.js.map