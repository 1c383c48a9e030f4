import { createPublicKey, type KeyObject } from 'node:crypto';

import { looksLikeJoinToken, verifyJoinToken } from '@mesh/pki';

import {
  bearerToken,
  type Authenticator,
  type AuthenticatedCaller,
  type CallerCredentials,
} from './authenticator.js';

/**
 * Authenticates istiod-issued join tokens (local platform and VM workloads). A bearer token that is
 * not a join token (a Kubernetes token, say) is left to the other authenticators.
 */
export class JoinTokenAuthenticator implements Authenticator {
  readonly name = 'join-token';
  private readonly verificationKey: KeyObject;

  constructor(
    signingKeyPem: string,
    private readonly trustDomain: string,
  ) {
    this.verificationKey = createPublicKey(signingKeyPem);
  }

  async authenticate({ metadata }: CallerCredentials): Promise<AuthenticatedCaller | undefined> {
    const token = bearerToken(metadata);
    if (!token || !looksLikeJoinToken(token)) return undefined;
    const claims = await verifyJoinToken(token, {
      verificationKey: this.verificationKey,
      trustDomain: this.trustDomain,
    });
    return { identity: claims.identity, authenticator: this.name };
  }
}
