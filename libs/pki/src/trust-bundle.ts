import { type CertificateInfo, checkValidity, describe, parseCertificate } from './certificate-info.js';
import { PkiError } from './errors.js';
import { CERTIFICATE_LABEL, decodePem } from './pem.js';

/**
 * A set of trusted root certificates: what `root-cert.pem`, the `istio-ca-root-cert` ConfigMap and
 * the SDS `ROOTCA` secret hold. More than one root is normal while a root is being rotated (old and
 * new both trusted) or in a multi-root mesh.
 */
export interface VerifiedChain {
  leaf: CertificateInfo;
  /** Leaf first, then each issuer, ending with the trusted root (even if the chain omitted it). */
  path: CertificateInfo[];
  root: CertificateInfo;
}

export interface VerifyChainOptions {
  /** Time to check validity at; default now. */
  now?: Date;
}

export class TrustBundle {
  readonly roots: readonly CertificateInfo[];
  readonly #byFingerprint: ReadonlyMap<string, CertificateInfo>;

  private constructor(roots: CertificateInfo[]) {
    const byFingerprint = new Map<string, CertificateInfo>();
    for (const root of roots)
      if (!byFingerprint.has(root.fingerprint256)) byFingerprint.set(root.fingerprint256, root);
    this.#byFingerprint = byFingerprint;
    this.roots = [...byFingerprint.values()];
  }

  /**
   * Reads concatenated PEM (or several PEM texts); duplicates are dropped, order is kept. Every
   * certificate must be a CA certificate (`PKI_NOT_A_CA` otherwise); an empty bundle is refused.
   */
  static fromPem(pem: string | readonly string[], what = 'trust bundle'): TrustBundle {
    const texts = typeof pem === 'string' ? [pem] : pem;
    const ders = texts.flatMap((text) => decodePem(text, [CERTIFICATE_LABEL], what));
    return TrustBundle.of(ders.map((der, i) => parseCertificate(der, `${what} certificate #${i + 1}`)));
  }

  static of(roots: readonly CertificateInfo[], what = 'trust bundle'): TrustBundle {
    if (roots.length === 0) throw new PkiError('PKI_INVALID_ARGUMENT', `${what} holds no certificate`);
    for (const root of roots) {
      if (!root.isCa)
        throw new PkiError('PKI_NOT_A_CA', `${what} holds ${describe(root)}, which is not a CA`);
    }
    return new TrustBundle([...roots]);
  }

  get size(): number {
    return this.roots.length;
  }

  /** Whether this exact certificate (by DER) is one of the roots. */
  has(certificate: CertificateInfo | string): boolean {
    const info = typeof certificate === 'string' ? parseCertificate(certificate) : certificate;
    return this.#byFingerprint.has(info.fingerprint256);
  }

  /** A bundle with the roots of both (this one's first); how a rotation adds the new root. */
  merge(other: TrustBundle): TrustBundle {
    return new TrustBundle([...this.roots, ...other.roots]);
  }

  /** The roots as concatenated PEM, each ending in a newline. */
  toPem(): string {
    return this.roots.map((root) => root.pem).join('');
  }

  /**
   * Verifies a chain given leaf first (each element one PEM certificate, or a single concatenated
   * PEM text), as a CA response or a TLS peer presents it. Each certificate must be signed by the
   * next and every issuer must be a CA; the chain may end with a root of this bundle or with a
   * certificate a root of this bundle signed. Every certificate must be valid at `now`.
   * Throws `PKI_UNTRUSTED_CHAIN`, `PKI_NOT_A_CA`, `PKI_EXPIRED` or `PKI_NOT_YET_VALID`.
   */
  verifyChain(chainPem: string | readonly string[], options: VerifyChainOptions = {}): VerifiedChain {
    const now = options.now ?? new Date();
    const texts = typeof chainPem === 'string' ? [chainPem] : chainPem;
    if (texts.length === 0) throw new PkiError('PKI_INVALID_ARGUMENT', 'the certificate chain is empty');
    const chain = texts
      .flatMap((text) => decodePem(text, [CERTIFICATE_LABEL], 'certificate chain'))
      .map((der, i) => parseCertificate(der, `chain certificate #${i + 1}`));
    for (let i = 0; i < chain.length; i++) {
      const certificate = chain[i] as CertificateInfo;
      const what = i === 0 ? 'leaf certificate' : `chain certificate #${i + 1}`;
      checkValidity(certificate, now, what);
      const trusted = this.#byFingerprint.get(certificate.fingerprint256);
      if (trusted !== undefined)
        return { leaf: chain[0] as CertificateInfo, path: chain.slice(0, i + 1), root: trusted };

      const next = chain[i + 1];
      if (next !== undefined) {
        if (!signedBy(certificate, next)) {
          throw new PkiError(
            'PKI_UNTRUSTED_CHAIN',
            `${what} (${describe(certificate)}) is not signed by the next certificate in the chain (${describe(next)})`,
          );
        }
        if (!next.isCa) {
          throw new PkiError('PKI_NOT_A_CA', `chain certificate #${i + 2} (${describe(next)}) is not a CA`);
        }
        continue;
      }
      const root = this.roots.find((candidate) => signedBy(certificate, candidate));
      if (root === undefined) {
        throw new PkiError(
          'PKI_UNTRUSTED_CHAIN',
          `${what} (${describe(certificate)}) was issued by "${certificate.issuer}", which is not a trusted root ` +
            `(trusted: ${this.roots.map((r) => `"${describe(r)}"`).join(', ')})`,
        );
      }
      checkValidity(root, now, 'root certificate');
      return { leaf: chain[0] as CertificateInfo, path: [...chain, root], root };
    }
    throw new PkiError('PKI_UNTRUSTED_CHAIN', 'the certificate chain does not end in a trusted root');
  }
}

/** Whether `issuer` issued `child`: names and key identifiers line up and the signature verifies. */
function signedBy(child: CertificateInfo, issuer: CertificateInfo): boolean {
  return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.publicKey);
}
