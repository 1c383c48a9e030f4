import type { CertificateInfo } from '@mesh/pki';

import { daysUntilExpiration, servedCertificates, type ServedCertificatesPem } from '../telemetry/index.js';

/**
 * Envoy's admin `/certs`: the certificates the proxy holds, as `envoy.admin.v3.Certificates` in proto3
 * JSON with Envoy's field names (uint64 as a string, timestamps in RFC 3339) — one entry for the TLS
 * context every listener and cluster shares here, SDS `default` and `ROOTCA`: `ca_cert` lists the
 * trusted roots, `cert_chain` the workload certificate. Like Envoy for SDS-delivered material, the
 * path is `<inline>`, and `days_until_expiration` of the workload certificate is the minimum over its
 * chain. Nothing secret is printed: no key, no PEM.
 */

const INLINE = '<inline>';

type SubjectAltName = { uri: string } | { dns: string } | { ip_address: string };

export interface CertificateDetails {
  path: string;
  serial_number: string;
  subject_alt_names: SubjectAltName[];
  /** uint64, printed as a string as proto3 JSON prints 64-bit integers. */
  days_until_expiration: string;
  valid_from: string;
  expiration_time: string;
}

export interface Certificates {
  certificates: { ca_cert: CertificateDetails[]; cert_chain: CertificateDetails[] }[];
}

/** A protobuf `Timestamp` in JSON: RFC 3339 in UTC, without fractional seconds when there are none. */
function timestamp(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

function subjectAltNames(certificate: CertificateInfo): SubjectAltName[] {
  return [
    ...certificate.uris.map((uri) => ({ uri })),
    ...certificate.dnsNames.map((dns) => ({ dns })),
    ...certificate.ipAddresses.map((ip_address) => ({ ip_address })),
  ];
}

function details(certificate: CertificateInfo, expiresFirst: Date, now: Date): CertificateDetails {
  return {
    path: INLINE,
    serial_number: certificate.serialNumber,
    subject_alt_names: subjectAltNames(certificate),
    days_until_expiration: String(daysUntilExpiration(expiresFirst, now)),
    valid_from: timestamp(certificate.notBefore),
    expiration_time: timestamp(certificate.notAfter),
  };
}

/** `/certs` for the certificate in force; no entry before the first one is issued. */
export function certificatesJson(pem: ServedCertificatesPem | undefined, now: Date): Certificates {
  if (!pem) return { certificates: [] };
  const { chain, roots } = servedCertificates(pem);
  const leaf = chain[0];
  const chainExpiry = new Date(Math.min(...chain.map((c) => c.notAfter.getTime())));
  return {
    certificates: [
      {
        ca_cert: roots.map((root) => details(root, root.notAfter, now)),
        cert_chain: leaf ? [details(leaf, chainExpiry, now)] : [],
      },
    ],
  };
}
