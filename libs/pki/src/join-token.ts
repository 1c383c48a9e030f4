import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

import { PkiError } from './errors.js';
import { formatSpiffeId, parseSpiffeId, type SpiffeIdentity } from './spiffe.js';

/**
 * Join tokens: istiod-issued JWTs that let a workload outside Kubernetes (the local platform, a VM)
 * prove its namespace and service account to the CA, the way a projected service-account token does
 * on Kubernetes. Signed with ES256 by a key that lives in istiod's state directory; audience
 * `istio-ca` like Istio's CA tokens; the subject is the SPIFFE identity the holder may request.
 */
export const JOIN_TOKEN_AUDIENCE = 'istio-ca';
export const JOIN_TOKEN_ISSUER = 'mesh-istiod/join-token';
const ALGORITHM = 'ES256';

export interface JoinTokenClaims {
  /** The token's `jti`: what `meshctl local token revoke` names. */
  id: string;
  identity: SpiffeIdentity;
  expiresAt: Date;
  issuedAt: Date;
}

/** A new ES256 signing key for join tokens (PKCS#8 PEM). */
export function generateJoinTokenKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

export async function createJoinToken(options: {
  signingKeyPem: string;
  identity: SpiffeIdentity;
  ttlSeconds: number;
  now?: Date;
}): Promise<string> {
  if (!(options.ttlSeconds > 0))
    throw new PkiError('PKI_TOKEN_INVALID', `token TTL must be positive, got ${options.ttlSeconds}s`);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ ns: options.identity.namespace, sa: options.identity.serviceAccount })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(JOIN_TOKEN_ISSUER)
    .setSubject(formatSpiffeId(options.identity))
    .setAudience(JOIN_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.floor(options.ttlSeconds))
    .setJti(randomBytes(12).toString('base64url'))
    .sign(createPrivateKey(options.signingKeyPem));
}

/**
 * Verifies a join token's signature, audience, issuer and expiry, that it names an identity in
 * `trustDomain`, that its lifetime is within `maxTtlSeconds` and that it is not revoked. Throws
 * `PKI_TOKEN_EXPIRED` or `PKI_TOKEN_INVALID` saying why.
 */
export async function verifyJoinToken(
  token: string,
  options: {
    verificationKey: KeyObject | string;
    trustDomain: string;
    /** The longest lifetime (exp − iat) accepted: a long-lived bearer secret is a standing risk. */
    maxTtlSeconds?: number;
    /** Token ids (`jti`) revoked before they expired. */
    revoked?: ReadonlySet<string>;
    now?: Date;
  },
): Promise<JoinTokenClaims> {
  const key =
    typeof options.verificationKey === 'string'
      ? createPublicKey(options.verificationKey)
      : options.verificationKey;
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      audience: JOIN_TOKEN_AUDIENCE,
      issuer: JOIN_TOKEN_ISSUER,
      currentDate: options.now,
    }));
  } catch (cause) {
    if (cause instanceof joseErrors.JWTExpired)
      throw new PkiError('PKI_TOKEN_EXPIRED', 'join token has expired', { cause });
    throw new PkiError('PKI_TOKEN_INVALID', `join token is not valid: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (typeof payload.jti !== 'string' || payload.jti === '' || typeof payload.iat !== 'number')
    throw new PkiError('PKI_TOKEN_INVALID', 'join token has no id or issue time; mint a new one');
  const lifetime = Number(payload.exp) - payload.iat;
  if (options.maxTtlSeconds !== undefined && lifetime > options.maxTtlSeconds)
    throw new PkiError(
      'PKI_TOKEN_INVALID',
      `join token lives ${lifetime}s, longer than the ${options.maxTtlSeconds}s allowed (istiod --max-join-token-ttl)`,
    );
  if (options.revoked?.has(payload.jti))
    throw new PkiError('PKI_TOKEN_INVALID', `join token ${payload.jti} has been revoked`);
  let identity: SpiffeIdentity;
  try {
    identity = parseSpiffeId(String(payload.sub));
  } catch (cause) {
    throw new PkiError(
      'PKI_TOKEN_INVALID',
      `join token subject is not a workload identity: ${String(payload.sub)}`,
      { cause },
    );
  }
  if (identity.trustDomain !== options.trustDomain) {
    throw new PkiError(
      'PKI_TOKEN_INVALID',
      `join token is for trust domain ${identity.trustDomain}, not ${options.trustDomain}`,
    );
  }
  return {
    id: payload.jti,
    identity,
    expiresAt: new Date(Number(payload.exp) * 1000),
    issuedAt: new Date(Number(payload.iat) * 1000),
  };
}

/** A token's payload read without verifying anything, or undefined when it is not a JWT. */
function unverifiedPayload(token: string): { iss?: unknown; jti?: unknown } | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a bearer token claims to be a join token (by its issuer). This only routes a token to the
 * right authenticator; it proves nothing, {@link verifyJoinToken} does.
 */
export function looksLikeJoinToken(token: string): boolean {
  return unverifiedPayload(token)?.iss === JOIN_TOKEN_ISSUER;
}

/** The id (`jti`) a join token carries, unverified: revoking by token text needs no key. */
export function joinTokenId(token: string): string | undefined {
  const payload = unverifiedPayload(token);
  return payload?.iss === JOIN_TOKEN_ISSUER && typeof payload.jti === 'string' ? payload.jti : undefined;
}
