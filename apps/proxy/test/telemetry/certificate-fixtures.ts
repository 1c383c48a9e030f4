import { createCsr, createSelfSignedRoot, generateKeyPair, type CertificateAuthority } from '@mesh/pki';

import type { ServedCertificatesPem } from '../../src/telemetry/index.js';

/** What the agent hands the data plane after an issuance: a real chain from a real CA. */

export const IDENTITY = 'spiffe://cluster.local/ns/default/sa/reviews';
export const T0 = new Date('2030-01-01T00:00:00Z');

export function meshRoot(ttlSeconds: number, now = T0): CertificateAuthority {
  return createSelfSignedRoot({ trustDomain: 'cluster.local', ttlSeconds, now });
}

/** A workload certificate of `ttlSeconds` from `ca`, with `roots` (default: the CA's) as the bundle. */
export function served(
  ca: CertificateAuthority,
  ttlSeconds: number,
  now = T0,
  roots: CertificateAuthority[] = [ca],
): ServedCertificatesPem & { serialNumber: string; notAfter: Date } {
  const csrPem = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: IDENTITY });
  const issued = ca.issueWorkloadCertificate({ csrPem, identity: IDENTITY, ttlSeconds, now });
  return {
    certificateChainPem: issued.chainPem.slice(0, -1).join(''),
    rootsPem: roots.map((root) => root.trustBundle.toPem()).join(''),
    serialNumber: issued.serialNumber,
    notAfter: issued.notAfter,
  };
}
