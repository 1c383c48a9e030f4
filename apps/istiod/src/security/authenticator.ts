import type { Metadata } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { SpiffeIdentity } from '@mesh/pki';

/** What a caller of a gRPC method brings to prove who it is. */
export interface CallerCredentials {
  metadata: Metadata;
  /** Transport security of the call: the peer certificate when the client presented one over TLS. */
  auth: AuthContext;
}

/** Who a caller proved to be, and how. */
export interface AuthenticatedCaller {
  identity: SpiffeIdentity;
  authenticator: string;
}

/**
 * One way of proving identity (a Kubernetes token, a join token, a workload certificate). Returns
 * undefined when the caller brought no credential of this kind; throws {@link AuthenticationError}
 * when it brought one that does not hold up.
 */
export interface Authenticator {
  readonly name: string;
  authenticate(credentials: CallerCredentials): Promise<AuthenticatedCaller | undefined>;
}

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  readonly code = 'ISTIOD_UNAUTHENTICATED';
}

/** The bearer token of a call (`authorization: Bearer <token>`), if any. */
export function bearerToken(metadata: Metadata): string | undefined {
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : undefined;
}

/**
 * Tries authenticators in order; the first success wins (as Istio's CA does). When none succeeds, the
 * error lists why each credential presented was refused, or says that none was presented.
 */
export async function authenticateCaller(
  authenticators: readonly Authenticator[],
  credentials: CallerCredentials,
): Promise<AuthenticatedCaller> {
  const refusals: string[] = [];
  for (const authenticator of authenticators) {
    try {
      const caller = await authenticator.authenticate(credentials);
      if (caller) return caller;
    } catch (err) {
      refusals.push(`${authenticator.name}: ${(err as Error).message}`);
    }
  }
  if (refusals.length === 0) {
    throw new AuthenticationError(
      // A client certificate the TLS layer could not verify (expired, foreign root) is not shown to
      // us at all, so it lands here too.
      `no credentials: present a bearer token (${authenticators.map((a) => a.name).join(', ')}) or a valid workload certificate (expired or untrusted certificates are not accepted)`,
    );
  }
  throw new AuthenticationError(`authentication failed: ${refusals.join('; ')}`);
}
