import { parseCertificate, splitCertificatePem, TrustBundle, type CertificateInfo } from '@mesh/pki';

import { AgentError } from './agent-error.js';

export interface IssuedChainCheck {
  /** The CA's `cert_chain`: leaf first, root last (elements may hold several PEM blocks). */
  chainPem: readonly string[];
  /** The SPIFFE ID we asked for; the leaf must carry exactly this one URI SAN. */
  identity: string;
  /** SubjectPublicKeyInfo DER of the key we generated; the leaf must certify this key. */
  publicKeyInfo: Buffer;
  now: Date;
  /** The roots trusted so far; absent on first issuance (the chain's own root is then adopted). */
  trustBundle?: TrustBundle;
  /**
   * Whether a chain ending in a root outside `trustBundle` may be accepted: only when the answer came
   * over a channel whose server certificate the current roots verified (mTLS renewal), so the CA
   * itself, not whoever sits on the path, announced the new root (a CA root rotation).
   */
  acceptNewRoot: boolean;
}

export interface IssuedChain {
  leaf: CertificateInfo;
  /** Leaf and intermediates, without the root. */
  certificates: CertificateInfo[];
  root: CertificateInfo;
  /** The root is not one of `trustBundle`'s. */
  rootChanged: boolean;
}

/**
 * Checks a CA response before the agent uses it: the chain verifies up to the self-signed root it
 * ends in, everything is valid now, and the leaf certifies exactly our identity and our key. Throws
 * `AgentError` (`AGENT_UNTRUSTED_CHAIN` or `AGENT_WRONG_CERTIFICATE`).
 */
export function verifyIssuedChain(check: IssuedChainCheck): IssuedChain {
  let certificates: CertificateInfo[];
  try {
    certificates = check.chainPem
      .flatMap((pem) => splitCertificatePem(pem, 'CA response'))
      .map((pem, i) => parseCertificate(pem, `CA response certificate #${i + 1}`));
  } catch (err) {
    throw untrusted(`the CA response is not a certificate chain: ${(err as Error).message}`, err);
  }
  const root = certificates.at(-1);
  if (root === undefined || certificates.length < 2) {
    throw untrusted(
      `the CA returned ${certificates.length} certificate(s); a chain needs at least the leaf and the root`,
    );
  }
  if (!root.isCa || !root.x509.checkIssued(root.x509) || !root.x509.verify(root.publicKey)) {
    throw untrusted(`the CA response does not end in a self-signed root (last: "${root.subject}")`);
  }
  try {
    TrustBundle.of([root], 'root of the CA response').verifyChain(
      certificates.map((c) => c.pem),
      { now: check.now },
    );
  } catch (err) {
    throw untrusted(`the CA response does not verify: ${(err as Error).message}`, err);
  }

  const leaf = certificates[0] as CertificateInfo;
  if (leaf.isCa) throw wrong('the leaf certificate of the CA response is a CA certificate');
  if (leaf.uris.length !== 1 || leaf.uris[0] !== check.identity) {
    throw wrong(
      `the CA issued a certificate for ${leaf.uris.length ? leaf.uris.map((u) => `"${u}"`).join(', ') : 'no URI'} ` +
        `but we asked for "${check.identity}"`,
    );
  }
  if (!leaf.publicKeyInfo.equals(check.publicKeyInfo)) {
    throw wrong('the CA issued a certificate for a public key other than the one in our request');
  }

  const rootChanged = check.trustBundle !== undefined && !check.trustBundle.has(root);
  if (rootChanged && !check.acceptNewRoot) {
    throw untrusted(
      `the CA response ends in root "${root.subject}" (${root.fingerprint256}), which is not among the trusted roots, ` +
        'and it did not arrive over a channel those roots authenticated',
    );
  }
  return { leaf, certificates: certificates.slice(0, -1), root, rootChanged };
}

function untrusted(message: string, cause?: unknown): AgentError {
  return new AgentError('AGENT_UNTRUSTED_CHAIN', message, { cause });
}

function wrong(message: string): AgentError {
  return new AgentError('AGENT_WRONG_CERTIFICATE', message);
}
