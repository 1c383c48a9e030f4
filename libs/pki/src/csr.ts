import { createPublicKey, type KeyObject } from 'node:crypto';

import {
  type Asn1,
  bitString,
  bytesOf,
  childrenOf,
  concatSequence,
  decode,
  encode,
  implicitConstructed,
  oid,
  rawElement,
  readBitStringBytes,
  readOid,
  sequence,
  set,
  smallInteger,
} from './der.js';
import { PkiError } from './errors.js';
import { type KeyAlgorithm, keyAlgorithmOfSpki, loadPrivateKey, publicKeyFromSpki } from './keys.js';
import { CSR_LABELS, decodeSinglePem, encodePem } from './pem.js';
import {
  algorithmIdentifier,
  readAlgorithmIdentifier,
  signatureAlgorithmFor,
  signWith,
  verifyWith,
} from './signature-algorithms.js';
import { parseSpiffeUri } from './spiffe.js';
import { OID, readExtensions, readSubjectAltNames, subjectAltNameExtension } from './x509-extensions.js';
import { buildName, formatName, isName, type NameAttributes } from './x509-name.js';

/**
 * PKCS#10 certificate signing requests (RFC 2986) as Istio's agent sends them: the identity is a
 * URI SAN in the extensionRequest attribute, the subject is empty. Built and read with forge.asn1,
 * signed and verified by Node's crypto, so ECDSA keys work.
 */
export interface CreateCsrOptions {
  /** The requester's private key (PEM or KeyObject); its public half goes into the CSR. */
  privateKey: string | KeyObject;
  /** The SPIFFE ID to request, e.g. `spiffe://cluster.local/ns/default/sa/frontend`. */
  identity?: string;
  /** Further URI SANs (rare; Istio requests one identity). */
  uris?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Optional subject; Istio's agent leaves it empty. */
  subject?: NameAttributes;
}

/** Creates a PEM `CERTIFICATE REQUEST` signed with `privateKey`. */
export function createCsr(options: CreateCsrOptions): string {
  const key = loadPrivateKey(options.privateKey);
  const uris = [...(options.identity === undefined ? [] : [options.identity]), ...(options.uris ?? [])];
  for (const uri of uris) if (uri.startsWith('spiffe://')) parseSpiffeUri(uri);
  const emptySubject = options.subject === undefined;
  const san = subjectAltNameExtension(
    { uris, dnsNames: options.dnsNames, ipAddresses: options.ipAddresses },
    emptySubject,
  );
  const spkiDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const info = sequence([
    smallInteger(0),
    buildName(options.subject),
    decode(spkiDer, 'PKI_INVALID_KEY', 'public key'),
    implicitConstructed(0, [sequence([oid(OID.extensionRequest), set([sequence([san])])])]),
  ]);
  const infoDer = encode(info);
  const algorithm = signatureAlgorithmFor(key);
  const signature = signWith(algorithm, key, infoDer);
  const der = concatSequence([infoDer, encode(algorithmIdentifier(algorithm)), encode(bitString(signature))]);
  return encodePem('CERTIFICATE REQUEST', der);
}

export interface ParsedCsr {
  /** The requester's public key. */
  publicKey: KeyObject;
  /** Its SubjectPublicKeyInfo DER, as it appeared in the CSR. */
  publicKeyInfo: Buffer;
  keyAlgorithm: KeyAlgorithm;
  /** e.g. `ecdsa-with-SHA256`. */
  signatureAlgorithm: string;
  /** One-line subject (`O=..., CN=...`), empty when the subject is empty (Istio's agents). */
  subject: string;
  uris: string[];
  dnsNames: string[];
  ipAddresses: string[];
}

export interface ParseCsrOptions {
  /** Refuse a CSR without any SAN (`PKI_MISSING_SAN`); default true. */
  requireSan?: boolean;
}

/**
 * Parses a PEM CSR and verifies its self-signature over the exact received bytes. Throws
 * `PKI_INVALID_PEM`, `PKI_INVALID_CSR`, `PKI_UNSUPPORTED_ALGORITHM`, `PKI_BAD_SIGNATURE` or
 * `PKI_MISSING_SAN`.
 */
export function parseCsr(pem: string, options: ParseCsrOptions = {}): ParsedCsr {
  const der = decodeSinglePem(pem, CSR_LABELS, 'CSR');
  const [info, algorithmNode, signatureNode] = childrenOf(decode(der, 'PKI_INVALID_CSR', 'CSR')) ?? [];
  const [version, subject, spki, attributes] = childrenOf(info) ?? [];
  if (bytesOf(version, 2) !== '\x00' || !isName(subject) || childrenOf(spki) === undefined) {
    throw new PkiError('PKI_INVALID_CSR', 'CSR is not a PKCS#10 v1 CertificationRequest');
  }
  const algorithm = readAlgorithmIdentifier(algorithmNode, 'PKI_INVALID_CSR', 'CSR');
  const signature = readBitStringBytes(signatureNode);
  if (signature === undefined) throw new PkiError('PKI_INVALID_CSR', 'CSR signature is not a BIT STRING');

  const keyAlgorithm = keyAlgorithmOfSpki(spki as Asn1);
  const publicKeyInfo = rawElement(der, [0, 2]);
  const publicKey = publicKeyFromSpki(publicKeyInfo, 'CSR public key', 'PKI_INVALID_CSR');
  verifyWith(algorithm, publicKey, keyAlgorithm, rawElement(der, [0]), signature, 'CSR');

  const names = readRequestedNames(attributes);
  if (
    (options.requireSan ?? true) &&
    names.uris.length + names.dnsNames.length + names.ipAddresses.length === 0
  ) {
    throw new PkiError(
      'PKI_MISSING_SAN',
      'CSR requests no subject alternative name (expected a SPIFFE URI SAN)',
    );
  }
  return {
    publicKey,
    publicKeyInfo,
    keyAlgorithm,
    signatureAlgorithm: algorithm.name,
    subject: formatName(subject),
    ...names,
  };
}

/** The SANs of the extensionRequest attribute (PKCS#9); other attributes are ignored. */
function readRequestedNames(attributes: Asn1 | undefined) {
  const none = { uris: [], dnsNames: [], ipAddresses: [] };
  if (attributes === undefined) return none;
  const items =
    Array.isArray(attributes.value) && attributes.tagClass === 0x80 ? attributes.value : undefined;
  if (items === undefined || attributes.type !== 0) {
    throw new PkiError('PKI_INVALID_CSR', 'CSR attributes are not a [0] SET OF Attribute');
  }
  for (const attribute of items) {
    const [type, values] = childrenOf(attribute) ?? [];
    if (readOid(type) !== OID.extensionRequest) continue;
    const [extensions, ...more] = childrenOf(values, 17) ?? [];
    if (extensions === undefined || more.length > 0) {
      throw new PkiError('PKI_INVALID_CSR', 'CSR extensionRequest must hold exactly one Extensions value');
    }
    const san = readExtensions(extensions, 'PKI_INVALID_CSR', 'CSR').get(OID.subjectAltName);
    return san === undefined ? none : readSubjectAltNames(san.value, 'PKI_INVALID_CSR', 'CSR');
  }
  return none;
}
