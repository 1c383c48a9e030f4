import { createHash, randomBytes, type KeyObject } from 'node:crypto';

import {
  type Asn1,
  bitString,
  childrenOf,
  concatSequence,
  encode,
  explicit,
  readBitStringBytes,
  sequence,
  smallInteger,
  time,
  unsignedInteger,
} from './der.js';
import { PkiError } from './errors.js';
import {
  algorithmIdentifier,
  type SignatureAlgorithm,
  signatureAlgorithmFor,
  signWith,
} from './signature-algorithms.js';

/**
 * X.509 v3 certificates (RFC 5280 §4.1): the TBSCertificate is built with forge.asn1 and signed by
 * Node's crypto, so RSA and ECDSA issuer keys both work. The caller decides what goes in (names,
 * extensions); this file only knows the structure.
 */
export interface Signer {
  key: KeyObject;
  algorithm: SignatureAlgorithm;
  /** The AlgorithmIdentifier node (inside the TBS) and its DER (outside it), built once. */
  algorithmIdentifier: Asn1;
  algorithmIdentifierDer: Buffer;
}

/** Prepares everything about a signing key that does not change between certificates. */
export function createSigner(key: KeyObject): Signer {
  const algorithm = signatureAlgorithmFor(key);
  const identifier = algorithmIdentifier(algorithm);
  return { key, algorithm, algorithmIdentifier: identifier, algorithmIdentifierDer: encode(identifier) };
}

export interface CertificateFields {
  /** Magnitude bytes of a positive serial; a random 128-bit one when absent. */
  serialNumber?: Buffer;
  issuer: Asn1;
  subject: Asn1;
  /** SubjectPublicKeyInfo node. */
  publicKeyInfo: Asn1;
  notBefore: Date;
  notAfter: Date;
  /** Extension nodes, in the order they are to appear. */
  extensions: Asn1[];
}

export interface BuiltCertificate {
  der: Buffer;
  serialNumber: Buffer;
}

const VERSION_3 = explicit(0, smallInteger(2));

/** Builds and signs a certificate; returns its DER and the serial number used. */
export function buildCertificate(fields: CertificateFields, signer: Signer): BuiltCertificate {
  if (!(fields.notAfter.getTime() > fields.notBefore.getTime())) {
    throw new PkiError(
      'PKI_INVALID_ARGUMENT',
      `notAfter ${fields.notAfter.toISOString()} is not after notBefore ${fields.notBefore.toISOString()}`,
    );
  }
  const serialNumber = fields.serialNumber ?? randomSerialNumber();
  const parts = [
    VERSION_3,
    unsignedInteger(serialNumber),
    signer.algorithmIdentifier,
    fields.issuer,
    sequence([time(fields.notBefore), time(fields.notAfter)]),
    fields.subject,
    fields.publicKeyInfo,
  ];
  if (fields.extensions.length > 0) parts.push(explicit(3, sequence(fields.extensions)));
  const tbs = encode(sequence(parts));
  const signature = signWith(signer.algorithm, signer.key, tbs);
  return {
    der: concatSequence([tbs, signer.algorithmIdentifierDer, encode(bitString(signature))]),
    serialNumber,
  };
}

/**
 * A random positive serial of 128 bits (RFC 5280 allows up to 20 octets; CA/B Forum asks for at
 * least 64 random bits), drawn the way Go's `rand.Int(rand.Reader, 2^128)` is.
 */
export function randomSerialNumber(): Buffer {
  const serial = randomBytes(16);
  if (serial.every((byte) => byte === 0)) serial[15] = 1;
  return serial;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
export function keyIdentifier(publicKeyInfo: Asn1): Buffer {
  const key = readBitStringBytes(childrenOf(publicKeyInfo)?.[1]);
  if (key === undefined) throw new PkiError('PKI_INVALID_KEY', 'public key has no subjectPublicKey bits');
  return createHash('sha1').update(key).digest();
}
