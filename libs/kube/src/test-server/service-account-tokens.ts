import { randomUUID } from 'node:crypto';

import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';

/**
 * Service-account tokens in the format kube-apiserver's token controller and TokenRequest API issue:
 * ES256 JWTs from the server's own signing key, issuer `https://kubernetes.default.svc.cluster.local`,
 * subject `system:serviceaccount:<ns>:<name>`, the requested audiences, and the private
 * `kubernetes.io` claim naming the service account (and the pod a token is bound to) with their
 * UIDs, so a token dies with the account or pod it was issued for.
 */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountClaims {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly audiences: readonly string[];
  readonly pod?: { readonly name: string; readonly uid: string };
  readonly tokenId: string;
}

export interface IssuedToken {
  readonly token: string;
  /** RFC 3339, as in `TokenRequest.status.expirationTimestamp`. */
  readonly expirationTimestamp: string;
}

export interface IssueTokenRequest {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly audiences: readonly string[];
  /** May be zero or negative to issue an already expired token (a test hook; the REST API refuses that). */
  readonly expirationSeconds: number;
  readonly pod?: { readonly name: string; readonly uid: string };
}

export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  readonly code = 'TOKEN_INVALID';
}

interface KubernetesClaim {
  namespace?: string;
  serviceaccount?: { name?: string; uid?: string };
  pod?: { name?: string; uid?: string };
}

// kube-apiserver accepts tokens up to a minute past their expiry (jwt.DefaultLeeway).
const CLOCK_LEEWAY_SECONDS = 60;

export class ServiceAccountTokenIssuer {
  private constructor(
    readonly issuer: string,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async create(issuer = DEFAULT_ISSUER): Promise<ServiceAccountTokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const publicJwk: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
    return new ServiceAccountTokenIssuer(issuer, privateKey, publicKey, publicJwk);
  }

  async issue(request: IssueTokenRequest): Promise<IssuedToken> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + request.expirationSeconds;
    const kubernetes: KubernetesClaim = {
      namespace: request.namespace,
      serviceaccount: { name: request.name, uid: request.uid },
      ...(request.pod ? { pod: request.pod } : {}),
    };
    const token = await new SignJWT({ 'kubernetes.io': kubernetes })
      .setProtectedHeader({ alg: 'ES256', ...(this.publicJwk.kid ? { kid: this.publicJwk.kid } : {}) })
      .setIssuer(this.issuer)
      .setSubject(`system:serviceaccount:${request.namespace}:${request.name}`)
      .setAudience([...request.audiences])
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expirationTimestamp: new Date(expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }

  /** Checks signature, issuer and lifetime; audiences are the caller's business (TokenReview). */
  async verify(token: string): Promise<ServiceAccountClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        algorithms: ['ES256'],
        clockTolerance: CLOCK_LEEWAY_SECONDS,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      const why =
        code === 'ERR_JWT_EXPIRED'
          ? 'token is expired'
          : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
            ? 'error in cryptographic primitive'
            : (error as Error).message;
      throw new TokenVerificationError(`invalid bearer token, ${why}`, { cause: error });
    }
    const claim = payload['kubernetes.io'] as KubernetesClaim | undefined;
    const { namespace } = claim ?? {};
    const { name, uid } = claim?.serviceaccount ?? {};
    if (!namespace || !name || !uid || !payload.jti) {
      throw new TokenVerificationError('invalid bearer token, missing kubernetes.io claims');
    }
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    const pod = claim?.pod?.name && claim.pod.uid ? { name: claim.pod.name, uid: claim.pod.uid } : undefined;
    return { namespace, name, uid, audiences, tokenId: payload.jti, ...(pod ? { pod } : {}) };
  }

  /** The OIDC discovery document kube-apiserver serves for its issuer. */
  openIdConfiguration(jwksUri: string): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    };
  }
}
