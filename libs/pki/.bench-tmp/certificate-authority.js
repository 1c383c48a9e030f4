import { createPublicKey } from 'node:crypto';
import { loadCaMaterial } from './ca-material.js';
import { checkValidity } from './certificate-info.js';
import { parseCsr } from './csr.js';
import { decode } from './der.js';
import { PkiError } from './errors.js';
import { generateKeyPair, keyAlgorithmOf, loadPrivateKey, loadPublicKey } from './keys.js';
import { CERTIFICATE_LABEL, encodePem } from './pem.js';
import { parseSpiffeUri } from './spiffe.js';
import { buildCertificate, createSigner, keyIdentifier } from './x509-builder.js';
import { authorityKeyIdentifierExtension, basicConstraintsExtension, extKeyUsageExtension, keyUsageExtension, OID, subjectAltNameExtension, subjectKeyIdentifierExtension, } from './x509-extensions.js';
import { buildName } from './x509-name.js';
/** Istio's `DEFAULT_WORKLOAD_CERT_TTL` (24h) and `MAX_WORKLOAD_CERT_TTL` (90d). */
export const DEFAULT_WORKLOAD_TTL_SECONDS = 24 * 3600;
export const MAX_WORKLOAD_TTL_SECONDS = 90 * 24 * 3600;
/** How far NotBefore is backdated, so a peer whose clock lags a little still accepts a new cert. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
const EKU_SERVER_AND_CLIENT = extKeyUsageExtension([OID.serverAuth, OID.clientAuth]);
const LEAF_KEY_USAGE = keyUsageExtension(['digitalSignature', 'keyEncipherment']);
const NOT_A_CA = basicConstraintsExtension(false);
const EMPTY_NAME = buildName();
/**
 * A CA that signs workload certificates (istiod's `CreateCertificate`), istiod's own serving
 * certificate and subordinate CAs. Everything fixed about the signing certificate and key is parsed
 * once here, so issuing costs one CSR verification and one signature.
 */
export class CertificateAuthority {
    /** The signing certificate (`ca-cert.pem`). */
    certificate;
    /** Signing certificate, intermediates, root: the tail of every chain this CA returns. */
    chainPem;
    /** The root that the chain ends in (`root-cert.pem` may hold more: see `trustBundle`). */
    root;
    /** Every root of `root-cert.pem`, for the `istio-ca-root-cert` ConfigMap and SDS `ROOTCA`. */
    trustBundle;
    keyAlgorithm;
    maxWorkloadTtlSeconds;
    defaultWorkloadTtlSeconds;
    clockSkewSeconds;
    #key;
    #signer;
    #issuerName;
    #authorityKeyId;
    constructor(certificate, key, path, trustBundle, options) {
        this.certificate = certificate;
        this.root = path[path.length - 1];
        this.chainPem = path.map((c) => c.pem);
        this.trustBundle = trustBundle;
        this.keyAlgorithm = keyAlgorithmOf(key);
        this.maxWorkloadTtlSeconds = positive(options.maxWorkloadTtlSeconds, MAX_WORKLOAD_TTL_SECONDS, 'max TTL');
        this.defaultWorkloadTtlSeconds = Math.min(positive(options.defaultWorkloadTtlSeconds, DEFAULT_WORKLOAD_TTL_SECONDS, 'default TTL'), this.maxWorkloadTtlSeconds);
        this.clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
        this.#key = key;
        this.#signer = createSigner(key);
        this.#issuerName = decode(certificate.subjectDer, 'PKI_INVALID_CERTIFICATE', 'CA subject');
        const keyId = certificate.subjectKeyIdentifier;
        this.#authorityKeyId = keyId && authorityKeyIdentifierExtension(keyId);
    }
    /**
     * Loads a CA from PEM (Istio's plug-in `cacerts` secret, or a persisted self-signed root with
     * `rootCertPem` = `certPem`). Checks that the key belongs to the certificate (`PKI_KEY_MISMATCH`),
     * that it is a CA allowed to sign certificates (`PKI_NOT_A_CA`), that it is valid now
     * (`PKI_EXPIRED`) and that it chains to one of the roots (`PKI_UNTRUSTED_CHAIN`).
     */
    static fromPem(options) {
        const { certificate, key, path, trustBundle } = loadCaMaterial(options);
        return new CertificateAuthority(certificate, key, path, trustBundle, options);
    }
    /** The signing key as PKCS#8 PEM (to persist a self-signed root as `ca-key.pem`). */
    get privateKeyPem() {
        return this.#key.export({ type: 'pkcs8', format: 'pem' });
    }
    /** The four files of Istio's `cacerts` secret, ready to write. */
    toCacertsFiles() {
        return {
            'ca-cert.pem': this.certificate.pem,
            'ca-key.pem': this.privateKeyPem,
            'cert-chain.pem': this.chainPem.join(''),
            'root-cert.pem': this.trustBundle.toPem(),
        };
    }
    /**
     * Signs a workload certificate for `identity` from a CSR (Istio's `CreateCertificate`). Only the
     * CSR's public key is used: the certificate carries exactly `identity` as URI SAN, an empty
     * subject, serverAuth+clientAuth, digitalSignature+keyEncipherment and CA:FALSE.
     * Throws `PKI_INVALID_CSR`/`PKI_BAD_SIGNATURE`/`PKI_MISSING_SAN` for a bad CSR,
     * `PKI_IDENTITY_MISMATCH` when the CSR asks for another identity, `PKI_EXPIRED` for an expired CA.
     */
    issueWorkloadCertificate(request) {
        parseSpiffeUri(request.identity);
        const csr = parseCsr(request.csrPem);
        if (csr.uris.length !== 1 || csr.uris[0] !== request.identity) {
            throw new PkiError('PKI_IDENTITY_MISMATCH', `the CSR requests ${csr.uris.length ? csr.uris.map((u) => `"${u}"`).join(', ') : 'no URI SAN'} ` +
                `but the caller is authenticated as "${request.identity}"`);
        }
        const publicKeyInfo = decode(csr.publicKeyInfo, 'PKI_INVALID_CSR', 'CSR public key');
        return this.#issueLeaf(publicKeyInfo, { uris: [request.identity] }, request.ttlSeconds, request.now);
    }
    /**
     * Signs a serving certificate for DNS names (and IPs), e.g. istiod's `istiod.istio-system.svc`
     * on 15012. Returns the private key too; it is generated unless `keyPair` is given.
     */
    issueServerCertificate(request) {
        if (request.dnsNames.length + (request.ipAddresses?.length ?? 0) === 0) {
            throw new PkiError('PKI_INVALID_ARGUMENT', 'a server certificate needs at least one DNS name or IP');
        }
        const privateKeyPem = request.keyPair?.privateKeyPem ?? generateKeyPair(request.algorithm).privateKeyPem;
        const spki = createPublicKey(loadPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
        const names = { dnsNames: request.dnsNames, ipAddresses: request.ipAddresses ?? [] };
        const issued = this.#issueLeaf(decode(spki, 'PKI_INVALID_KEY', 'key'), names, request.ttlSeconds, request.now);
        return { ...issued, privateKeyPem };
    }
    /** Signs a subordinate CA certificate (CA:TRUE, keyCertSign+cRLSign), capped at this CA's expiry. */
    issueCaCertificate(request) {
        if (this.certificate.pathLength === 0) {
            throw new PkiError('PKI_NOT_A_CA', `${this.certificate.subject} has pathLen 0: it may not sign CAs`);
        }
        const spki = loadPublicKey(request.publicKey, 'subordinate CA key').export({
            type: 'spki',
            format: 'der',
        });
        const publicKeyInfo = decode(spki, 'PKI_INVALID_KEY', 'subordinate CA key');
        const extensions = [
            keyUsageExtension(['keyCertSign', 'cRLSign']),
            basicConstraintsExtension(true, request.pathLength),
            subjectKeyIdentifierExtension(keyIdentifier(publicKeyInfo)),
        ];
        return this.#issue(publicKeyInfo, buildName(request.subject), extensions, request.ttlSeconds, request.now);
    }
    #issueLeaf(publicKeyInfo, names, requestedTtl, now) {
        if (requestedTtl !== undefined && !Number.isFinite(requestedTtl)) {
            throw new PkiError('PKI_INVALID_ARGUMENT', `TTL ${requestedTtl} is not a number of seconds`);
        }
        const ttl = requestedTtl === undefined || requestedTtl <= 0
            ? this.defaultWorkloadTtlSeconds
            : Math.min(requestedTtl, this.maxWorkloadTtlSeconds);
        const extensions = [
            LEAF_KEY_USAGE,
            EKU_SERVER_AND_CLIENT,
            NOT_A_CA,
            subjectKeyIdentifierExtension(keyIdentifier(publicKeyInfo)),
            subjectAltNameExtension(names, true),
        ];
        return this.#issue(publicKeyInfo, EMPTY_NAME, extensions, ttl, now);
    }
    #issue(publicKeyInfo, subject, extensions, ttl, at) {
        const now = at ?? new Date();
        checkValidity(this.certificate, now, 'CA certificate');
        const notBefore = new Date(now.getTime() - this.clockSkewSeconds * 1000);
        const notAfter = new Date(Math.min(now.getTime() + ttl * 1000, this.certificate.notAfter.getTime()));
        const { der, serialNumber } = buildCertificate({
            issuer: this.#issuerName,
            subject,
            publicKeyInfo,
            notBefore,
            notAfter,
            extensions: this.#authorityKeyId ? [...extensions, this.#authorityKeyId] : extensions,
        }, this.#signer);
        const certificatePem = encodePem(CERTIFICATE_LABEL, der);
        return {
            certificatePem,
            chainPem: [certificatePem, ...this.chainPem],
            serialNumber: serialNumber.toString('hex').replace(/^(00)+(?=.)/, ''),
            notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000),
            notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
        };
    }
}
function positive(value, fallback, what) {
    if (value === undefined)
        return fallback;
    if (!Number.isFinite(value) || value <= 0) {
        throw new PkiError('PKI_INVALID_ARGUMENT', `${what} must be a positive number of seconds, got ${value}`);
    }
    return value;
}
//# sourceMappingURL=certificate-authority.js.map