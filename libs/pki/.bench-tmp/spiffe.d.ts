import { PkiError } from './errors.js';
/**
 * SPIFFE identities as Istio uses them: `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
 */
export interface SpiffeIdentity {
    trustDomain: string;
    namespace: string;
    serviceAccount: string;
}
/** A malformed SPIFFE ID; a `PkiError` with code `PKI_INVALID_SPIFFE_ID`. */
export declare class SpiffeIdError extends PkiError {
    readonly name = "SpiffeIdError";
    constructor(message: string, options?: {
        cause?: unknown;
    });
}
/** Any SPIFFE ID (not only Istio's workload form): a trust domain and a non-empty path. */
export interface SpiffeUri {
    trustDomain: string;
    /** The path with its leading slash, e.g. `/ns/default/sa/frontend`. */
    path: string;
}
export declare function formatSpiffeId(id: SpiffeIdentity): string;
/** Parses an Istio workload SPIFFE ID; throws `SpiffeIdError` saying what is wrong. */
export declare function parseSpiffeId(uri: string): SpiffeIdentity;
/**
 * Parses any SPIFFE ID by the SPIFFE spec's rules (lowercase trust domain, non-empty path of
 * unreserved segments, no query, fragment, port or user info); throws `SpiffeIdError`.
 */
export declare function parseSpiffeUri(uri: string): SpiffeUri;
/** Throws `SpiffeIdError` unless `trustDomain` is a valid SPIFFE trust domain name. */
export declare function validateTrustDomain(trustDomain: string): void;
//# sourceMappingURL=spiffe.d.ts.map