import { CertificateAuthority, type CertificateAuthorityOptions } from './certificate-authority.js';
import { type KeyAlgorithm } from './keys.js';
/** Istio's `CITADEL_SELF_SIGNED_CA_CERT_TTL`: 10 years (3650 days). */
export declare const DEFAULT_ROOT_TTL_SECONDS: number;
/** The lifetime Istio's `tools/certs` Makefile gives intermediates (730 days). */
export declare const DEFAULT_INTERMEDIATE_TTL_SECONDS: number;
export interface SelfSignedRootOptions extends CertificateAuthorityOptions {
    /** The mesh trust domain, e.g. `cluster.local`; it becomes the subject's O unless `organization`. */
    trustDomain: string;
    /** Default ECDSA P-256 (Istio's own default is RSA 2048; pass 'RSA_2048' for that). */
    algorithm?: KeyAlgorithm;
    ttlSeconds?: number;
    organization?: string;
    commonName?: string;
    now?: Date;
}
/**
 * Creates the self-signed root istiod uses without a plug-in CA: subject `O=<trust domain>` (as
 * Istio's), CA:TRUE, keyCertSign+cRLSign, 10 years. Persist it with `toCacertsFiles()` (Istio keeps
 * `ca-cert.pem` and `ca-key.pem` in the `istio-ca-secret` Secret) and reload with `fromPem`.
 */
export declare function createSelfSignedRoot(options: SelfSignedRootOptions): CertificateAuthority;
export interface IntermediateOptions extends CertificateAuthorityOptions {
    /** The CA that signs the intermediate (a root or another intermediate). */
    parent: CertificateAuthority;
    /** Default ECDSA P-256. */
    algorithm?: KeyAlgorithm;
    /** Default 730 days, never beyond the parent's own expiry. */
    ttlSeconds?: number;
    /** Subject; default `O=Istio, CN=Intermediate CA` (Istio's `tools/certs` naming). */
    organization?: string;
    commonName?: string;
    /** basicConstraints pathLenConstraint; absent means unlimited. */
    pathLength?: number;
    now?: Date;
}
/**
 * Creates an intermediate CA signed by `parent`: the shape of a plug-in CA (`cacerts`), whose
 * `toCacertsFiles()` gives the four files istiod expects.
 */
export declare function createIntermediate(options: IntermediateOptions): CertificateAuthority;
//# sourceMappingURL=root-ca.d.ts.map