import { type CertificateInfo } from './certificate-info.js';
/**
 * A set of trusted root certificates: what `root-cert.pem`, the `istio-ca-root-cert` ConfigMap and
 * the SDS `ROOTCA` secret hold. More than one root is normal while a root is being rotated (old and
 * new both trusted) or in a multi-root mesh.
 */
export interface VerifiedChain {
    leaf: CertificateInfo;
    /** Leaf first, then each issuer, ending with the trusted root (even if the chain omitted it). */
    path: CertificateInfo[];
    root: CertificateInfo;
}
export interface VerifyChainOptions {
    /** Time to check validity at; default now. */
    now?: Date;
}
export declare class TrustBundle {
    #private;
    readonly roots: readonly CertificateInfo[];
    private constructor();
    /**
     * Reads concatenated PEM (or several PEM texts); duplicates are dropped, order is kept. Every
     * certificate must be a CA certificate (`PKI_NOT_A_CA` otherwise); an empty bundle is refused.
     */
    static fromPem(pem: string | readonly string[], what?: string): TrustBundle;
    static of(roots: readonly CertificateInfo[], what?: string): TrustBundle;
    get size(): number;
    /** Whether this exact certificate (by DER) is one of the roots. */
    has(certificate: CertificateInfo | string): boolean;
    /** A bundle with the roots of both (this one's first); how a rotation adds the new root. */
    merge(other: TrustBundle): TrustBundle;
    /** The roots as concatenated PEM, each ending in a newline. */
    toPem(): string;
    /**
     * Verifies a chain given leaf first (each element one PEM certificate, or a single concatenated
     * PEM text), as a CA response or a TLS peer presents it. Each certificate must be signed by the
     * next and every issuer must be a CA; the chain may end with a root of this bundle or with a
     * certificate a root of this bundle signed. Every certificate must be valid at `now`.
     * Throws `PKI_UNTRUSTED_CHAIN`, `PKI_NOT_A_CA`, `PKI_EXPIRED` or `PKI_NOT_YET_VALID`.
     */
    verifyChain(chainPem: string | readonly string[], options?: VerifyChainOptions): VerifiedChain;
}
//# sourceMappingURL=trust-bundle.d.ts.map