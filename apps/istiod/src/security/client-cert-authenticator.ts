import { encodePem, parseSpiffeId, type CertificateAuthority } from '@mesh/pki';

import {
  AuthenticationError,
  type Authenticator,
  type AuthenticatedCaller,
  type CallerCredentials,
} from './authenticator.js';

/**
 * Authenticates a workload by the certificate it presents over mTLS on the secure port (renewal, as
 * Istio's ClientCertAuthenticator). The TLS layer requests but does not require a client certificate
 * (token callers have none), so the chain, validity and SPIFFE identity are checked here.
 */
export class ClientCertAuthenticator implements Authenticator {
  readonly name = 'client-certificate';

  constructor(private readonly ca: () => CertificateAuthority) {}

  async authenticate({ auth }: CallerCredentials): Promise<AuthenticatedCaller | undefined> {
    const peer = auth.sslPeerCertificate;
    if (!peer?.raw) return undefined;
    const ca = this.ca();
    const leafPem = encodePem('CERTIFICATE', peer.raw);
    let verified;
    try {
      // The leaf plus our own intermediates (clients usually send only the leaf).
      verified = ca.trustBundle.verifyChain([leafPem, ...ca.chainPem.slice(0, -1)]);
    } catch (err) {
      throw new AuthenticationError(`client certificate refused: ${(err as Error).message}`, { cause: err });
    }
    const spiffe = verified.leaf.uris.filter((uri) => uri.startsWith('spiffe://'));
    if (spiffe.length !== 1)
      throw new AuthenticationError(
        `client certificate must carry exactly one SPIFFE URI SAN, found ${spiffe.length}`,
      );
    const identity = parseSpiffeId(spiffe[0] as string);
    return { identity, authenticator: this.name };
  }
}
