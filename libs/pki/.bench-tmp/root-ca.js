import { createPublicKey } from 'node:crypto';
import { CertificateAuthority, DEFAULT_CLOCK_SKEW_SECONDS, } from './certificate-authority.js';
import { decode } from './der.js';
import { PkiError } from './errors.js';
import { generateKeyPair, loadPrivateKey } from './keys.js';
import { CERTIFICATE_LABEL, encodePem } from './pem.js';
import { validateTrustDomain } from './spiffe.js';
import { buildCertificate, createSigner, keyIdentifier } from './x509-builder.js';
import { basicConstraintsExtension, keyUsageExtension, subjectKeyIdentifierExtension, } from './x509-extensions.js';
import { buildName } from './x509-name.js';
/** Istio's `CITADEL_SELF_SIGNED_CA_CERT_TTL`: 10 years (3650 days). */
export const DEFAULT_ROOT_TTL_SECONDS = 3650 * 24 * 3600;
/** The lifetime Istio's `tools/certs` Makefile gives intermediates (730 days). */
export const DEFAULT_INTERMEDIATE_TTL_SECONDS = 730 * 24 * 3600;
/**
 * Creates the self-signed root istiod uses without a plug-in CA: subject `O=<trust domain>` (as
 * Istio's), CA:TRUE, keyCertSign+cRLSign, 10 years. Persist it with `toCacertsFiles()` (Istio keeps
 * `ca-cert.pem` and `ca-key.pem` in the `istio-ca-secret` Secret) and reload with `fromPem`.
 */
export function createSelfSignedRoot(options) {
    validateTrustDomain(options.trustDomain);
    const ttl = options.ttlSeconds ?? DEFAULT_ROOT_TTL_SECONDS;
    if (!Number.isFinite(ttl) || ttl <= 0) {
        throw new PkiError('PKI_INVALID_ARGUMENT', `root TTL must be a positive number of seconds, got ${ttl}`);
    }
    const keyPair = generateKeyPair(options.algorithm);
    const key = loadPrivateKey(keyPair.privateKeyPem);
    const publicKeyInfo = decode(createPublicKey(key).export({ type: 'spki', format: 'der' }), 'PKI_INVALID_KEY', 'root key');
    const name = buildName({
        organization: options.organization ?? options.trustDomain,
        ...(options.commonName === undefined ? {} : { commonName: options.commonName }),
    });
    const now = options.now ?? new Date();
    const skew = (options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
    const { der } = buildCertificate({
        issuer: name,
        subject: name,
        publicKeyInfo,
        notBefore: new Date(now.getTime() - skew),
        notAfter: new Date(now.getTime() + ttl * 1000),
        extensions: [
            keyUsageExtension(['keyCertSign', 'cRLSign']),
            basicConstraintsExtension(true),
            subjectKeyIdentifierExtension(keyIdentifier(publicKeyInfo)),
        ],
    }, createSigner(key));
    const certPem = encodePem(CERTIFICATE_LABEL, der);
    return CertificateAuthority.fromPem({
        ...caOptions(options),
        certPem,
        keyPem: key,
        rootCertPem: certPem,
        now,
    });
}
/**
 * Creates an intermediate CA signed by `parent`: the shape of a plug-in CA (`cacerts`), whose
 * `toCacertsFiles()` gives the four files istiod expects.
 */
export function createIntermediate(options) {
    const keyPair = generateKeyPair(options.algorithm);
    const now = options.now ?? new Date();
    const issued = options.parent.issueCaCertificate({
        publicKey: keyPair.publicKeyPem,
        subject: {
            organization: options.organization ?? 'Istio',
            commonName: options.commonName ?? 'Intermediate CA',
        },
        ttlSeconds: options.ttlSeconds ?? DEFAULT_INTERMEDIATE_TTL_SECONDS,
        ...(options.pathLength === undefined ? {} : { pathLength: options.pathLength }),
        now,
    });
    return CertificateAuthority.fromPem({
        ...caOptions(options),
        certPem: issued.certificatePem,
        keyPem: keyPair.privateKeyPem,
        certChainPem: issued.chainPem.join(''),
        rootCertPem: options.parent.trustBundle.toPem(),
        now,
    });
}
function caOptions(options) {
    const { maxWorkloadTtlSeconds, defaultWorkloadTtlSeconds, clockSkewSeconds } = options;
    return { maxWorkloadTtlSeconds, defaultWorkloadTtlSeconds, clockSkewSeconds };
}
//# sourceMappingURL=root-ca.js.map