import { randomBytes } from 'node:crypto';

import { STORAGE } from './builtin-resources.js';
import type { ObjectStore } from './object-store.js';
import type { ServiceAccountTokenIssuer } from './service-account-tokens.js';
import { TokenVerificationError } from './service-account-tokens.js';

/**
 * Bearer-token authentication, used both for requests to the server and for TokenReview: static
 * tokens the test hands out (the admin token and any added users) and service-account JWTs this
 * server issued. A service-account token only authenticates while its account (and bound pod)
 * still exists with the same UID, and only for audiences it was issued for — the checks
 * kube-apiserver's service-account authenticator makes.
 */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type AuthenticationResult =
  | { readonly authenticated: true; readonly user: UserInfo; readonly audiences: string[] }
  | { readonly authenticated: false; readonly error: string };

export const ADMIN_USER: UserInfo = {
  username: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
};

export function newStaticToken(): string {
  return randomBytes(24).toString('base64url');
}

function intersect(a: readonly string[], b: readonly string[]): string[] {
  return a.filter((item) => b.includes(item));
}

export class Authenticator {
  private readonly staticTokens = new Map<string, UserInfo>();

  constructor(
    private readonly store: ObjectStore,
    private readonly tokens: ServiceAccountTokenIssuer,
    /** The audiences of the API server itself: tokens for them authenticate requests to it. */
    readonly apiAudiences: readonly string[],
  ) {}

  addStaticToken(token: string, user: UserInfo): void {
    this.staticTokens.set(token, user);
  }

  /**
   * Authenticates `token` for `audiences` (the API server's own when none are given). The result's
   * audiences are those of the request that the token is valid for.
   */
  async authenticate(token: string, audiences: readonly string[] = []): Promise<AuthenticationResult> {
    const wanted = audiences.length > 0 ? audiences : this.apiAudiences;
    const staticUser = this.staticTokens.get(token);
    if (staticUser) {
      // Static tokens know no audience: valid only where the API server itself is meant.
      const accepted = intersect(wanted, this.apiAudiences);
      return accepted.length > 0
        ? { authenticated: true, user: structuredClone(staticUser), audiences: accepted }
        : {
            authenticated: false,
            error: `token audiences ${JSON.stringify(this.apiAudiences)} is invalid for the target audiences ${JSON.stringify(wanted)}`,
          };
    }
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch (error) {
      if (error instanceof TokenVerificationError) return { authenticated: false, error: error.message };
      throw error;
    }
    const accepted = intersect(wanted, claims.audiences);
    if (accepted.length === 0) {
      return {
        authenticated: false,
        error: `token audiences ${JSON.stringify(claims.audiences)} is invalid for the target audiences ${JSON.stringify(wanted)}`,
      };
    }
    const account = this.store.get(STORAGE.serviceAccounts, claims.namespace, claims.name);
    if (!account || account.metadata.uid !== claims.uid) {
      return { authenticated: false, error: `serviceaccounts "${claims.name}" not found` };
    }
    const extra: Record<string, string[]> = {
      'authentication.kubernetes.io/credential-id': [`JTI=${claims.tokenId}`],
    };
    if (claims.pod) {
      const pod = this.store.get(STORAGE.pods, claims.namespace, claims.pod.name);
      if (!pod || pod.metadata.uid !== claims.pod.uid) {
        return { authenticated: false, error: `pods "${claims.pod.name}" not found` };
      }
      extra['authentication.kubernetes.io/pod-name'] = [claims.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [claims.pod.uid];
    }
    const user: UserInfo = {
      username: `system:serviceaccount:${claims.namespace}:${claims.name}`,
      uid: claims.uid,
      groups: [
        'system:serviceaccounts',
        `system:serviceaccounts:${claims.namespace}`,
        'system:authenticated',
      ],
      extra,
    };
    return { authenticated: true, user, audiences: accepted };
  }
}
