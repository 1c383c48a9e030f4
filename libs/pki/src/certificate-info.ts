import { type KeyObject, X509Certificate } from 'node:crypto';

import forge from 'node-forge';

import { type Asn1, bytesOf, childrenOf, decode, fromBinary, rawElement, readTime } from './der.js';
import { PkiError } from './errors.js';
import { publicKeyFromSpki } from './keys.js';
import { CERTIFICATE_LABEL, decodeSinglePem, encodePem } from './pem.js';
import { readAlgorithmIdentifier } from './signature-algorithms.js';
import {
  type KeyUsage,
  OID,
  readExtensions,
  readKeyIdentifier,
  readKeyUsage,
  readSubjectAltNames,
} from './x509-extensions.js';
import { formatName } from './x509-name.js';

/**
 * What the mesh needs to know about an X.509 certificate (what `istioctl proxy-config secret`
 * shows, what chain checks use), read once with forge.asn1; `x509` is Node's own view of it for
 * signature checks and TLS.
 */
export interface CertificateInfo {
  /** Normalized PEM, ending in a newline. */
  pem: string;
  der: Buffer;
  x509: X509Certificate;
  /** Lowercase hex, no separators (as Istio's `proxy-config secret` prints serials). */
  serialNumber: string;
  subject: string;
  issuer: string;
  /** Exact encodings of the subject and issuer Names. */
  subjectDer: Buffer;
  issuerDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  pathLength?: number;
  /** Set when the certificate has a KeyUsage extension. */
  keyUsage?: KeyUsage[];
  /** Extended key usage OIDs (serverAuth = 1.3.6.1.5.5.7.3.1, clientAuth = 1.3.6.1.5.5.7.3.2). */
  extKeyUsage: string[];
  uris: string[];
  dnsNames: string[];
  ipAddresses: string[];
  subjectKeyIdentifier?: Buffer;
  publicKey: KeyObject;
  /** The SubjectPublicKeyInfo DER. */
  publicKeyInfo: Buffer;
  signatureAlgorithm: string;
  /** SHA-256 fingerprint, colon-separated uppercase hex (Node's format). */
  fingerprint256: string;
}

const INVALID = 'PKI_INVALID_CERTIFICATE';

/** Reads one certificate from PEM (exactly one CERTIFICATE block) or DER. */
export function parseCertificate(input: string | Uint8Array, what = 'certificate'): CertificateInfo {
  const der =
    typeof input === 'string' ? decodeSinglePem(input, [CERTIFICATE_LABEL], what) : Buffer.from(input);
  const [tbs, algorithmNode] = childrenOf(decode(der, INVALID, what)) ?? [];
  const fields = childrenOf(tbs) ?? [];
  const offset = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && fields[0].type === 0 ? 1 : 0;
  const [serial, , issuer, validity, subject, spki] = fields.slice(offset);
  const [notBeforeNode, notAfterNode] = childrenOf(validity) ?? [];
  const notBefore = readTime(notBeforeNode);
  const notAfter = readTime(notAfterNode);
  const serialBytes = bytesOf(serial, forge.asn1.Type.INTEGER);
  if (serialBytes === undefined || notBefore === undefined || notAfter === undefined || spki === undefined) {
    throw new PkiError(INVALID, `${what} is not an X.509 certificate`);
  }
  let x509: X509Certificate;
  let publicKey: KeyObject;
  const publicKeyInfo = rawElement(der, [0, offset + 5]);
  try {
    x509 = new X509Certificate(der);
    publicKey = publicKeyFromSpki(publicKeyInfo, what, INVALID);
  } catch (error) {
    throw new PkiError(INVALID, `${what} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const extensionsNode = fields.find(
    (field) => field.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && field.type === 3,
  );
  const extensions = readExtensions((extensionsNode?.value as Asn1[] | undefined)?.[0], INVALID, what);
  const basic = readBasicConstraints(extensions.get(OID.basicConstraints)?.value, what);
  const san = extensions.get(OID.subjectAltName);
  const names = san
    ? readSubjectAltNames(san.value, INVALID, what)
    : { uris: [], dnsNames: [], ipAddresses: [] };
  const keyUsage = extensions.get(OID.keyUsage);
  const eku = extensions.get(OID.extKeyUsage);
  const ski = extensions.get(OID.subjectKeyIdentifier);
  return {
    pem: encodePem(CERTIFICATE_LABEL, der),
    der,
    x509,
    serialNumber: fromBinary(serialBytes)
      .toString('hex')
      .replace(/^(00)+(?=.)/, ''),
    subject: formatName(subject),
    issuer: formatName(issuer),
    subjectDer: rawElement(der, [0, offset + 4]),
    issuerDer: rawElement(der, [0, offset + 2]),
    notBefore,
    notAfter,
    ...basic,
    ...(keyUsage ? { keyUsage: [...readKeyUsage(keyUsage.value, INVALID, what)] } : {}),
    extKeyUsage: eku ? readOidSequence(eku.value, what) : [],
    ...names,
    ...(ski ? { subjectKeyIdentifier: readKeyIdentifier(ski.value, INVALID, what) } : {}),
    publicKey,
    publicKeyInfo,
    signatureAlgorithm: readAlgorithmIdentifier(algorithmNode, INVALID, what).name,
    fingerprint256: x509.fingerprint256,
  };
}

function readBasicConstraints(value: Buffer | undefined, what: string) {
  if (value === undefined) return { isCa: false };
  const parts = childrenOf(decode(value, INVALID, `${what} basicConstraints`));
  if (parts === undefined) throw new PkiError(INVALID, `${what} basicConstraints is not a SEQUENCE`);
  const hasFlag = bytesOf(parts[0], forge.asn1.Type.BOOLEAN);
  const isCa = hasFlag !== undefined && hasFlag !== '\x00';
  const length = bytesOf(parts[hasFlag === undefined ? 0 : 1], forge.asn1.Type.INTEGER);
  return length === undefined ? { isCa } : { isCa, pathLength: forge.asn1.derToInteger(length) };
}

function readOidSequence(value: Buffer, what: string): string[] {
  const items = childrenOf(decode(value, INVALID, `${what} extKeyUsage`)) ?? [];
  return items.map((item) => forge.asn1.derToOid(bytesOf(item, forge.asn1.Type.OID) ?? ''));
}

/** Throws `PKI_EXPIRED` / `PKI_NOT_YET_VALID` unless `now` lies within the validity period. */
export function checkValidity(certificate: CertificateInfo, now: Date, what: string): void {
  if (now.getTime() > certificate.notAfter.getTime()) {
    throw new PkiError(
      'PKI_EXPIRED',
      `${what} (${describe(certificate)}) expired at ${certificate.notAfter.toISOString()}`,
    );
  }
  if (now.getTime() < certificate.notBefore.getTime()) {
    throw new PkiError(
      'PKI_NOT_YET_VALID',
      `${what} (${describe(certificate)}) is not valid before ${certificate.notBefore.toISOString()}`,
    );
  }
}

/** A short label for messages: the subject, else the SANs, else the serial number. */
export function describe(certificate: CertificateInfo): string {
  return (
    certificate.subject ||
    [...certificate.uris, ...certificate.dnsNames].join(', ') ||
    `serial ${certificate.serialNumber}`
  );
}
