import { CertificateAuthority } from './certificate-authority.js';
import type { CertificateInfo } from './certificate-info.js';
import { decode } from './der.js';
import { PkiError } from './errors.js';
import { loadPrivateKey } from './keys.js';
import { selfSignedRootPem } from './root-ca.js';

/**
 * Istio's self-signed root rotation (`security/pkg/pki/ca/selfsignedcarootcertrotator.go`): istiod
 * checks its root every `CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL` and, once less than
 * `CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE` percent of its lifetime is left (or it has
 * expired), replaces it with a new root for the same key and subject, valid for
 * `CITADEL_SELF_SIGNED_CA_CERT_TTL`. Keeping the key means every certificate the old root signed
 * still verifies under the new one (same issuer name, same key identifier, same key); the old root
 * is nevertheless kept in the trust bundle while it is valid, so a peer that matches roots exactly
 * keeps working too.
 */

/** Istio's `CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE` default. */
export const DEFAULT_ROOT_GRACE_PERIOD_PERCENTAGE = 20;
/** Istio's `CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL` default (1h). */
export const DEFAULT_ROOT_CHECK_INTERVAL_SECONDS = 3600;

export interface RootRotationDecision {
  due: boolean;
  /** When the grace period begins: the rotation is due from then on. */
  dueAt: Date;
  /** For the log line: why now, or why not yet. */
  reason: string;
}

/** Istio's `GetWaitTime`: due when `now` is within the last `gracePeriodPercentage` % of the lifetime. */
export function rootRotationDecision(options: {
  root: CertificateInfo;
  now: Date;
  gracePeriodPercentage: number;
}): RootRotationDecision {
  const { root, now, gracePeriodPercentage } = options;
  if (!(gracePeriodPercentage >= 0 && gracePeriodPercentage <= 100)) {
    throw new PkiError(
      'PKI_INVALID_ARGUMENT',
      `the root grace period must be a percentage within [0, 100], got ${gracePeriodPercentage}`,
    );
  }
  const notAfter = root.notAfter.getTime();
  const grace = ((notAfter - root.notBefore.getTime()) * gracePeriodPercentage) / 100;
  const dueAt = new Date(notAfter - grace);
  const expires = root.notAfter.toISOString();
  if (now.getTime() >= notAfter) return { due: true, dueAt, reason: `the root expired at ${expires}` };
  if (now.getTime() >= dueAt.getTime())
    return {
      due: true,
      dueAt,
      reason: `the root expires at ${expires}, within the last ${gracePeriodPercentage}% of its lifetime`,
    };
  return {
    due: false,
    dueAt,
    reason: `the root expires at ${expires}; rotation is due at ${dueAt.toISOString()}`,
  };
}

/** The roots of `roots` still valid at `now`: a rotated-out root stays trusted until it expires. */
export function unexpiredRoots(roots: readonly CertificateInfo[], now: Date): CertificateInfo[] {
  return roots.filter((root) => root.notAfter.getTime() > now.getTime());
}

/**
 * The CA after rotating the self-signed root of `current`: a new root for the same key and the same
 * subject (Istio's `GenRootCertFromExistingKey` with the old certificate's options), valid for
 * `ttlSeconds` from `now`. Its trust bundle is the new root first, then the roots `current` trusted
 * that are still valid. The issuing options (TTLs, clock skew) are `current`'s.
 */
export function rotateSelfSignedRoot(
  current: CertificateAuthority,
  options: { ttlSeconds?: number; now?: Date },
): CertificateAuthority {
  const { certificate } = current;
  if (certificate.subjectDer.compare(certificate.issuerDer) !== 0 || current.chainPem.length !== 1) {
    throw new PkiError(
      'PKI_INVALID_ARGUMENT',
      `only a self-signed root is rotated by istiod; "${certificate.subject}" is issued by "${certificate.issuer}"`,
    );
  }
  const now = options.now ?? new Date();
  const key = loadPrivateKey(current.privateKeyPem, 'CA key');
  const name = decode(certificate.subjectDer, 'PKI_INVALID_CERTIFICATE', 'root subject');
  const certPem = selfSignedRootPem(
    key,
    name,
    { ttlSeconds: options.ttlSeconds, clockSkewSeconds: current.clockSkewSeconds },
    now,
  );
  const kept = unexpiredRoots(current.trustBundle.roots, now).map((root) => root.pem);
  return CertificateAuthority.fromPem({
    certPem,
    keyPem: key,
    rootCertPem: [certPem, ...kept].join(''),
    maxWorkloadTtlSeconds: current.maxWorkloadTtlSeconds,
    defaultWorkloadTtlSeconds: current.defaultWorkloadTtlSeconds,
    clockSkewSeconds: current.clockSkewSeconds,
    now,
  });
}
