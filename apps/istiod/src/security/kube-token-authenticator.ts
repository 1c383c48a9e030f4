import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { JOIN_TOKEN_AUDIENCE, looksLikeJoinToken, type SpiffeIdentity } from '@mesh/pki';

import {
  AuthenticationError,
  bearerToken,
  type Authenticator,
  type AuthenticatedCaller,
  type CallerCredentials,
} from './authenticator.js';

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * Authenticates Kubernetes service-account JWTs with a TokenReview through the API server, as
 * Istio's KubeJWTAuthenticator does: the token must be valid for the `istio-ca` audience and belong
 * to a service account; the identity is that account's SPIFFE ID in our trust domain.
 */
export class KubeTokenAuthenticator implements Authenticator {
  readonly name = 'kubernetes-token';
  private readonly api: AuthenticationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly trustDomain: string,
    private readonly audiences: readonly string[] = [JOIN_TOKEN_AUDIENCE],
  ) {
    this.api = kubeConfig.makeApiClient(AuthenticationV1Api);
  }

  /** From a kubeconfig file, or the in-cluster service account when running in a pod. */
  static fromEnvironment(trustDomain: string, kubeconfig?: string): KubeTokenAuthenticator {
    const config = new KubeConfig();
    if (kubeconfig) config.loadFromFile(kubeconfig);
    else config.loadFromCluster();
    return new KubeTokenAuthenticator(config, trustDomain);
  }

  async authenticate({ metadata }: CallerCredentials): Promise<AuthenticatedCaller | undefined> {
    const token = bearerToken(metadata);
    if (!token || looksLikeJoinToken(token)) return undefined;
    let review;
    try {
      review = await this.api.createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences: [...this.audiences] },
        },
      });
    } catch (cause) {
      throw new AuthenticationError(`TokenReview failed: ${(cause as Error).message}`, { cause });
    }
    const status = review.status;
    if (!status?.authenticated)
      throw new AuthenticationError(
        `token rejected by the API server${status?.error ? `: ${status.error}` : ''}`,
      );
    if (status.audiences && !status.audiences.some((a) => this.audiences.includes(a))) {
      throw new AuthenticationError(`token is not for audience ${this.audiences.join(', ')}`);
    }
    const match = SERVICE_ACCOUNT_USER.exec(status.user?.username ?? '');
    if (!match)
      throw new AuthenticationError(
        `token user ${status.user?.username ?? '(none)'} is not a service account`,
      );
    const identity: SpiffeIdentity = {
      trustDomain: this.trustDomain,
      namespace: match[1] as string,
      serviceAccount: match[2] as string,
    };
    return { identity, authenticator: this.name };
  }
}
