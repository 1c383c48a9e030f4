import { JoinTokenTrust, looksLikeJoinToken, verifyJoinToken } from '@mesh/pki';

import {
  bearerToken,
  type Authenticator,
  type AuthenticatedCaller,
  type CallerCredentials,
} from './authenticator.js';

/**
 * Authenticates istiod-issued join tokens (local platform and VM workloads) against the state
 * directory's current signing key and revocation list, refusing tokens that live longer than
 * `--max-join-token-ttl`. A bearer token that is not a join token (a Kubernetes token, say) is left to
 * the other authenticators.
 */
export class JoinTokenAuthenticator implements Authenticator {
  readonly name = 'join-token';
  private readonly trust: JoinTokenTrust;

  constructor(
    stateDir: string,
    private readonly trustDomain: string,
    private readonly maxTtlSeconds: number,
  ) {
    this.trust = new JoinTokenTrust(stateDir);
    // Created now if the directory has none, so `meshctl local token create` signs with the same key.
    this.trust.verificationKey();
  }

  async authenticate({ metadata }: CallerCredentials): Promise<AuthenticatedCaller | undefined> {
    const token = bearerToken(metadata);
    if (!token || !looksLikeJoinToken(token)) return undefined;
    const claims = await verifyJoinToken(token, {
      verificationKey: this.trust.verificationKey(),
      trustDomain: this.trustDomain,
      maxTtlSeconds: this.maxTtlSeconds,
      revoked: this.trust.revokedIds(),
    });
    return { identity: claims.identity, authenticator: this.name };
  }
}
