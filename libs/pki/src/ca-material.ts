import type { KeyObject } from 'node:crypto';

import { type CertificateInfo, checkValidity, describe, parseCertificate } from './certificate-info.js';
import { PkiError } from './errors.js';
import { loadPrivateKey } from './keys.js';
import { CERTIFICATE_LABEL, decodePem, encodePem } from './pem.js';
import { TrustBundle } from './trust-bundle.js';

/**
 * The material a CA signs with, read and checked from Istio's plug-in `cacerts` layout
 * (`ca-cert.pem`, `ca-key.pem`, `cert-chain.pem`, `root-cert.pem`) or from a persisted self-signed
 * root (`istio-ca-secret`: root-cert = ca-cert). Operators get these files wrong in a handful of
 * ways (wrong key, leaf instead of CA, chain from another root, missing intermediate, expired); each
 * gets its own code and a message that names the file.
 */
export interface CaMaterialPem {
  certPem: string;
  keyPem: string | KeyObject;
  /** From the signing cert (or above it) to the root; the signing cert and roots may be included. */
  certChainPem?: string;
  /** One or more roots; the signing cert must chain to one of them. */
  rootCertPem: string;
  /** Time at which the CA must be valid; default now. */
  now?: Date;
}

export interface CaMaterial {
  certificate: CertificateInfo;
  key: KeyObject;
  /** Signing certificate, intermediates, root. */
  path: CertificateInfo[];
  trustBundle: TrustBundle;
}

/**
 * Throws `PKI_KEY_MISMATCH` (key of another certificate), `PKI_NOT_A_CA` (no CA:TRUE, or a KeyUsage
 * without keyCertSign), `PKI_EXPIRED`/`PKI_NOT_YET_VALID`, `PKI_UNTRUSTED_CHAIN` (does not lead to
 * a root of `root-cert.pem`), or the parse errors of the files.
 */
export function loadCaMaterial(pem: CaMaterialPem): CaMaterial {
  const certificate = parseCertificate(pem.certPem, 'CA certificate (ca-cert.pem)');
  const key = loadPrivateKey(pem.keyPem, 'CA key (ca-key.pem)');
  if (!certificate.x509.checkPrivateKey(key)) {
    throw new PkiError(
      'PKI_KEY_MISMATCH',
      `ca-key.pem is not the private key of ca-cert.pem (${describe(certificate)})`,
    );
  }
  if (!certificate.isCa || (certificate.keyUsage && !certificate.keyUsage.includes('keyCertSign'))) {
    throw new PkiError(
      'PKI_NOT_A_CA',
      `ca-cert.pem (${describe(certificate)}) is not a CA certificate allowed to sign certificates ` +
        '(needs basicConstraints CA:TRUE and keyUsage keyCertSign)',
    );
  }
  const now = pem.now ?? new Date();
  checkValidity(certificate, now, 'CA certificate (ca-cert.pem)');
  const trustBundle = TrustBundle.fromPem(pem.rootCertPem, 'root-cert.pem');
  // Istio's cert-chain.pem usually repeats ca-cert.pem first and the root last; keep what is between.
  const intermediates = (
    pem.certChainPem ? decodePem(pem.certChainPem, [CERTIFICATE_LABEL], 'cert-chain.pem') : []
  )
    .map((der) => encodePem(CERTIFICATE_LABEL, der))
    .filter((text) => text !== certificate.pem && !trustBundle.has(text));
  try {
    const { path } = trustBundle.verifyChain([certificate.pem, ...intermediates], { now });
    return { certificate, key, path, trustBundle };
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    throw new PkiError(
      error.code,
      `ca-cert.pem does not chain to root-cert.pem through cert-chain.pem: ${error.message}`,
      { cause: error },
    );
  }
}
