import { type KeyObject } from 'node:crypto';
import { type SpiffeIdentity } from './spiffe.js';
/**
 * Join tokens: istiod-issued JWTs that let a workload outside Kubernetes (the local platform, a VM)
 * prove its namespace and service account to the CA, the way a projected service-account token does
 * on Kubernetes. Signed with ES256 by a key that lives in istiod's state directory; audience
 * `istio-ca` like Istio's CA tokens; the subject is the SPIFFE identity the holder may request.
 */
export declare const JOIN_TOKEN_AUDIENCE = "istio-ca";
export declare const JOIN_TOKEN_ISSUER = "mesh-istiod/join-token";
export interface JoinTokenClaims {
    identity: SpiffeIdentity;
    expiresAt: Date;
    issuedAt: Date;
}
/** A new ES256 signing key for join tokens (PKCS#8 PEM). */
export declare function generateJoinTokenKey(): string;
export declare function createJoinToken(options: {
    signingKeyPem: string;
    identity: SpiffeIdentity;
    ttlSeconds: number;
    now?: Date;
}): Promise<string>;
/**
 * Verifies a join token's signature, audience, issuer and expiry, and that it names an identity in
 * `trustDomain`. Throws `PKI_TOKEN_EXPIRED` or `PKI_TOKEN_INVALID` saying why.
 */
export declare function verifyJoinToken(token: string, options: {
    verificationKey: KeyObject | string;
    trustDomain: string;
    now?: Date;
}): Promise<JoinTokenClaims>;
/**
 * Whether a bearer token claims to be a join token (by its issuer). This only routes a token to the
 * right authenticator; it proves nothing, {@link verifyJoinToken} does.
 */
export declare function looksLikeJoinToken(token: string): boolean;
//# sourceMappingURL=join-token.d.ts.map