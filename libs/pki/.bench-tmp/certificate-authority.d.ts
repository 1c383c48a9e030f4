import { type KeyObject } from 'node:crypto';
import { type CaMaterialPem } from './ca-material.js';
import { type CertificateInfo } from './certificate-info.js';
import { type KeyAlgorithm } from './keys.js';
import type { TrustBundle } from './trust-bundle.js';
import { type NameAttributes } from './x509-name.js';
/** Istio's `DEFAULT_WORKLOAD_CERT_TTL` (24h) and `MAX_WORKLOAD_CERT_TTL` (90d). */
export declare const DEFAULT_WORKLOAD_TTL_SECONDS: number;
export declare const MAX_WORKLOAD_TTL_SECONDS: number;
/** How far NotBefore is backdated, so a peer whose clock lags a little still accepts a new cert. */
export declare const DEFAULT_CLOCK_SKEW_SECONDS = 60;
export interface CertificateAuthorityOptions {
    /** Longest workload/server certificate TTL; longer requests are capped to it. Default 90 days. */
    maxWorkloadTtlSeconds?: number;
    /** TTL for requests that give none (or a non-positive one). Default 24 hours. */
    defaultWorkloadTtlSeconds?: number;
    /** NotBefore backdating. Default 60 seconds. */
    clockSkewSeconds?: number;
}
/** The `cacerts` files (see `loadCaMaterial`) plus issuing options. */
export interface CaPemOptions extends CaMaterialPem, CertificateAuthorityOptions {
}
export interface IssuedCertificate {
    certificatePem: string;
    /** Leaf first, then intermediates, root last; each PEM ends with a newline. */
    chainPem: string[];
    /** Lowercase hex. */
    serialNumber: string;
    notBefore: Date;
    notAfter: Date;
}
export interface WorkloadCertificateRequest {
    csrPem: string;
    /** The SPIFFE ID the caller authenticated as; the CSR must request exactly this URI SAN. */
    identity: string;
    /** Requested lifetime; non-positive or absent means the default, longer is capped. */
    ttlSeconds?: number;
    now?: Date;
}
export interface ServerCertificateRequest {
    dnsNames: string[];
    ipAddresses?: string[];
    /** Defaulted and capped like a workload certificate's TTL. */
    ttlSeconds?: number;
    /** The key to certify; generated (with `algorithm`, default ECDSA P-256) when absent. */
    keyPair?: {
        privateKeyPem: string;
    };
    algorithm?: KeyAlgorithm;
    now?: Date;
}
export interface CaCertificateRequest {
    /** The subordinate CA's public key (PEM or KeyObject). */
    publicKey: string | KeyObject;
    subject: NameAttributes;
    ttlSeconds: number;
    pathLength?: number;
    now?: Date;
}
/**
 * A CA that signs workload certificates (istiod's `CreateCertificate`), istiod's own serving
 * certificate and subordinate CAs. Everything fixed about the signing certificate and key is parsed
 * once here, so issuing costs one CSR verification and one signature.
 */
export declare class CertificateAuthority {
    #private;
    /** The signing certificate (`ca-cert.pem`). */
    readonly certificate: CertificateInfo;
    /** Signing certificate, intermediates, root: the tail of every chain this CA returns. */
    readonly chainPem: readonly string[];
    /** The root that the chain ends in (`root-cert.pem` may hold more: see `trustBundle`). */
    readonly root: CertificateInfo;
    /** Every root of `root-cert.pem`, for the `istio-ca-root-cert` ConfigMap and SDS `ROOTCA`. */
    readonly trustBundle: TrustBundle;
    readonly keyAlgorithm: KeyAlgorithm;
    readonly maxWorkloadTtlSeconds: number;
    readonly defaultWorkloadTtlSeconds: number;
    readonly clockSkewSeconds: number;
    private constructor();
    /**
     * Loads a CA from PEM (Istio's plug-in `cacerts` secret, or a persisted self-signed root with
     * `rootCertPem` = `certPem`). Checks that the key belongs to the certificate (`PKI_KEY_MISMATCH`),
     * that it is a CA allowed to sign certificates (`PKI_NOT_A_CA`), that it is valid now
     * (`PKI_EXPIRED`) and that it chains to one of the roots (`PKI_UNTRUSTED_CHAIN`).
     */
    static fromPem(options: CaPemOptions): CertificateAuthority;
    /** The signing key as PKCS#8 PEM (to persist a self-signed root as `ca-key.pem`). */
    get privateKeyPem(): string;
    /** The four files of Istio's `cacerts` secret, ready to write. */
    toCacertsFiles(): Record<'ca-cert.pem' | 'ca-key.pem' | 'cert-chain.pem' | 'root-cert.pem', string>;
    /**
     * Signs a workload certificate for `identity` from a CSR (Istio's `CreateCertificate`). Only the
     * CSR's public key is used: the certificate carries exactly `identity` as URI SAN, an empty
     * subject, serverAuth+clientAuth, digitalSignature+keyEncipherment and CA:FALSE.
     * Throws `PKI_INVALID_CSR`/`PKI_BAD_SIGNATURE`/`PKI_MISSING_SAN` for a bad CSR,
     * `PKI_IDENTITY_MISMATCH` when the CSR asks for another identity, `PKI_EXPIRED` for an expired CA.
     */
    issueWorkloadCertificate(request: WorkloadCertificateRequest): IssuedCertificate;
    /**
     * Signs a serving certificate for DNS names (and IPs), e.g. istiod's `istiod.istio-system.svc`
     * on 15012. Returns the private key too; it is generated unless `keyPair` is given.
     */
    issueServerCertificate(request: ServerCertificateRequest): IssuedCertificate & {
        privateKeyPem: string;
    };
    /** Signs a subordinate CA certificate (CA:TRUE, keyCertSign+cRLSign), capped at this CA's expiry. */
    issueCaCertificate(request: CaCertificateRequest): IssuedCertificate;
}
//# sourceMappingURL=certificate-authority.d.ts.map