import { type KeyObject } from 'node:crypto';
import { type KeyAlgorithm } from './keys.js';
import { type NameAttributes } from './x509-name.js';
/**
 * PKCS#10 certificate signing requests (RFC 2986) as Istio's agent sends them: the identity is a
 * URI SAN in the extensionRequest attribute, the subject is empty. Built and read with forge.asn1,
 * signed and verified by Node's crypto, so ECDSA keys work.
 */
export interface CreateCsrOptions {
    /** The requester's private key (PEM or KeyObject); its public half goes into the CSR. */
    privateKey: string | KeyObject;
    /** The SPIFFE ID to request, e.g. `spiffe://cluster.local/ns/default/sa/frontend`. */
    identity?: string;
    /** Further URI SANs (rare; Istio requests one identity). */
    uris?: string[];
    dnsNames?: string[];
    ipAddresses?: string[];
    /** Optional subject; Istio's agent leaves it empty. */
    subject?: NameAttributes;
}
/** Creates a PEM `CERTIFICATE REQUEST` signed with `privateKey`. */
export declare function createCsr(options: CreateCsrOptions): string;
export interface ParsedCsr {
    /** The requester's public key. */
    publicKey: KeyObject;
    /** Its SubjectPublicKeyInfo DER, as it appeared in the CSR. */
    publicKeyInfo: Buffer;
    keyAlgorithm: KeyAlgorithm;
    /** e.g. `ecdsa-with-SHA256`. */
    signatureAlgorithm: string;
    /** One-line subject (`O=..., CN=...`), empty when the subject is empty (Istio's agents). */
    subject: string;
    uris: string[];
    dnsNames: string[];
    ipAddresses: string[];
}
export interface ParseCsrOptions {
    /** Refuse a CSR without any SAN (`PKI_MISSING_SAN`); default true. */
    requireSan?: boolean;
}
/**
 * Parses a PEM CSR and verifies its self-signature over the exact received bytes. Throws
 * `PKI_INVALID_PEM`, `PKI_INVALID_CSR`, `PKI_UNSUPPORTED_ALGORITHM`, `PKI_BAD_SIGNATURE` or
 * `PKI_MISSING_SAN`.
 */
export declare function parseCsr(pem: string, options?: ParseCsrOptions): ParsedCsr;
//# sourceMappingURL=csr.d.ts.map