import type { KeyObject } from 'node:crypto';
import { type CertificateInfo } from './certificate-info.js';
import { TrustBundle } from './trust-bundle.js';
/**
 * The material a CA signs with, read and checked from Istio's plug-in `cacerts` layout
 * (`ca-cert.pem`, `ca-key.pem`, `cert-chain.pem`, `root-cert.pem`) or from a persisted self-signed
 * root (`istio-ca-secret`: root-cert = ca-cert). Operators get these files wrong in a handful of
 * ways (wrong key, leaf instead of CA, chain from another root, missing intermediate, expired); each
 * gets its own code and a message that names the file.
 */
export interface CaMaterialPem {
    certPem: string;
    keyPem: string | KeyObject;
    /** From the signing cert (or above it) to the root; the signing cert and roots may be included. */
    certChainPem?: string;
    /** One or more roots; the signing cert must chain to one of them. */
    rootCertPem: string;
    /** Time at which the CA must be valid; default now. */
    now?: Date;
}
export interface CaMaterial {
    certificate: CertificateInfo;
    key: KeyObject;
    /** Signing certificate, intermediates, root. */
    path: CertificateInfo[];
    trustBundle: TrustBundle;
}
/**
 * Throws `PKI_KEY_MISMATCH` (key of another certificate), `PKI_NOT_A_CA` (no CA:TRUE, or a KeyUsage
 * without keyCertSign), `PKI_EXPIRED`/`PKI_NOT_YET_VALID`, `PKI_UNTRUSTED_CHAIN` (does not lead to
 * a root of `root-cert.pem`), or the parse errors of the files.
 */
export declare function loadCaMaterial(pem: CaMaterialPem): CaMaterial;
//# sourceMappingURL=ca-material.d.ts.map