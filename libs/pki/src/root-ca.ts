import { createPublicKey, type KeyObject } from 'node:crypto';

import {
  CertificateAuthority,
  type CertificateAuthorityOptions,
  DEFAULT_CLOCK_SKEW_SECONDS,
} from './certificate-authority.js';
import { type Asn1, decode } from './der.js';
import { PkiError } from './errors.js';
import { generateKeyPair, type KeyAlgorithm, loadPrivateKey } from './keys.js';
import { CERTIFICATE_LABEL, encodePem } from './pem.js';
import { validateTrustDomain } from './spiffe.js';
import { buildCertificate, createSigner, keyIdentifier } from './x509-builder.js';
import {
  basicConstraintsExtension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from './x509-extensions.js';
import { buildName } from './x509-name.js';

/** Istio's `CITADEL_SELF_SIGNED_CA_CERT_TTL`: 10 years (3650 days). */
export const DEFAULT_ROOT_TTL_SECONDS = 3650 * 24 * 3600;
/** The lifetime Istio's `tools/certs` Makefile gives intermediates (730 days). */
export const DEFAULT_INTERMEDIATE_TTL_SECONDS = 730 * 24 * 3600;

export interface SelfSignedRootOptions extends CertificateAuthorityOptions {
  /** The mesh trust domain, e.g. `cluster.local`; it becomes the subject's O unless `organization`. */
  trustDomain: string;
  /** Default ECDSA P-256 (Istio's own default is RSA 2048; pass 'RSA_2048' for that). */
  algorithm?: KeyAlgorithm;
  ttlSeconds?: number;
  organization?: string;
  commonName?: string;
  now?: Date;
}

/**
 * Creates the self-signed root istiod uses without a plug-in CA: subject `O=<trust domain>` (as
 * Istio's), CA:TRUE, keyCertSign+cRLSign, 10 years. Persist it with `toCacertsFiles()` (Istio keeps
 * `ca-cert.pem` and `ca-key.pem` in the `istio-ca-secret` Secret) and reload with `fromPem`.
 */
export function createSelfSignedRoot(options: SelfSignedRootOptions): CertificateAuthority {
  validateTrustDomain(options.trustDomain);
  const keyPair = generateKeyPair(options.algorithm);
  const key = loadPrivateKey(keyPair.privateKeyPem);
  const name = buildName({
    organization: options.organization ?? options.trustDomain,
    ...(options.commonName === undefined ? {} : { commonName: options.commonName }),
  });
  const now = options.now ?? new Date();
  const certPem = selfSignedRootPem(key, name, options, now);
  return CertificateAuthority.fromPem({
    ...caOptions(options),
    certPem,
    keyPem: key,
    rootCertPem: certPem,
    now,
  });
}

/**
 * A self-signed root certificate for `key` and subject `name` (CA:TRUE, keyCertSign+cRLSign, its
 * own key identifier), valid from `now` (backdated by the clock skew) for `ttlSeconds` (default 10
 * years). Shared by a new root and a rotated one, so both have the same shape.
 */
export function selfSignedRootPem(
  key: KeyObject,
  name: Asn1,
  options: Pick<SelfSignedRootOptions, 'ttlSeconds' | 'clockSkewSeconds'>,
  now: Date,
): string {
  const ttl = options.ttlSeconds ?? DEFAULT_ROOT_TTL_SECONDS;
  if (!Number.isFinite(ttl) || ttl <= 0) {
    throw new PkiError('PKI_INVALID_ARGUMENT', `root TTL must be a positive number of seconds, got ${ttl}`);
  }
  const publicKeyInfo = decode(
    createPublicKey(key).export({ type: 'spki', format: 'der' }),
    'PKI_INVALID_KEY',
    'root key',
  );
  const skew = (options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  const { der } = buildCertificate(
    {
      issuer: name,
      subject: name,
      publicKeyInfo,
      notBefore: new Date(now.getTime() - skew),
      notAfter: new Date(now.getTime() + ttl * 1000),
      extensions: [
        keyUsageExtension(['keyCertSign', 'cRLSign']),
        basicConstraintsExtension(true),
        subjectKeyIdentifierExtension(keyIdentifier(publicKeyInfo)),
      ],
    },
    createSigner(key),
  );
  return encodePem(CERTIFICATE_LABEL, der);
}

export interface IntermediateOptions extends CertificateAuthorityOptions {
  /** The CA that signs the intermediate (a root or another intermediate). */
  parent: CertificateAuthority;
  /** Default ECDSA P-256. */
  algorithm?: KeyAlgorithm;
  /** Default 730 days, never beyond the parent's own expiry. */
  ttlSeconds?: number;
  /** Subject; default `O=Istio, CN=Intermediate CA` (Istio's `tools/certs` naming). */
  organization?: string;
  commonName?: string;
  /** basicConstraints pathLenConstraint; absent means unlimited. */
  pathLength?: number;
  now?: Date;
}

/**
 * Creates an intermediate CA signed by `parent`: the shape of a plug-in CA (`cacerts`), whose
 * `toCacertsFiles()` gives the four files istiod expects.
 */
export function createIntermediate(options: IntermediateOptions): CertificateAuthority {
  const keyPair = generateKeyPair(options.algorithm);
  const now = options.now ?? new Date();
  const issued = options.parent.issueCaCertificate({
    publicKey: keyPair.publicKeyPem,
    subject: {
      organization: options.organization ?? 'Istio',
      commonName: options.commonName ?? 'Intermediate CA',
    },
    ttlSeconds: options.ttlSeconds ?? DEFAULT_INTERMEDIATE_TTL_SECONDS,
    ...(options.pathLength === undefined ? {} : { pathLength: options.pathLength }),
    now,
  });
  return CertificateAuthority.fromPem({
    ...caOptions(options),
    certPem: issued.certificatePem,
    keyPem: keyPair.privateKeyPem,
    certChainPem: issued.chainPem.join(''),
    rootCertPem: options.parent.trustBundle.toPem(),
    now,
  });
}

function caOptions(options: CertificateAuthorityOptions): CertificateAuthorityOptions {
  const { maxWorkloadTtlSeconds, defaultWorkloadTtlSeconds, clockSkewSeconds } = options;
  return { maxWorkloadTtlSeconds, defaultWorkloadTtlSeconds, clockSkewSeconds };
}
