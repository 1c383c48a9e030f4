import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';

import { KUBERNETES_SECRET_PREFIX, type HeldResource, type Secret } from '@mesh/xds';

import { TlsError } from './tls-error.js';

/**
 * The secrets istiod serves over SDS on the ADS stream: a gateway's `credentialName` credentials,
 * `kubernetes://<name>` (a certificate and key) and `kubernetes://<name>-cacert` (the roots a MUTUAL
 * server verifies clients against). Each update is checked before it is ACKed (`secretProblems`: a
 * certificate that does not parse, a key that does not match it, roots that do not parse are NACKed,
 * so the last good version stays in force, as Envoy keeps its last good secret). TLS contexts read
 * the accepted version at each handshake, so a rotation takes effect for new connections at once.
 */

type Obj = Record<string, unknown>;

/** Whether a secret name is one istiod serves (the rest come from the proxy's agent or files). */
export function isIstiodSecretName(name: string): boolean {
  return name.startsWith(KUBERNETES_SECRET_PREFIX);
}

export interface CertificateSecret {
  stamp: string;
  cert: string;
  key: string;
}

export interface RootsSecret {
  stamp: string;
  ca: string;
  crl?: string;
}

/** A DataSource's text: istiod sends `inline_bytes` (base64 in canonical JSON) or `inline_string`. */
function inlineText(source: unknown, at: string): string {
  const s = (source ?? {}) as { inline_bytes?: unknown; inline_string?: unknown; filename?: unknown };
  if (typeof s.inline_string === 'string') return s.inline_string;
  if (typeof s.inline_bytes === 'string') return Buffer.from(s.inline_bytes, 'base64').toString('utf8');
  if (s.inline_bytes instanceof Uint8Array) return Buffer.from(s.inline_bytes).toString('utf8');
  // A file named by the control plane is not read: istiod's secrets travel inline.
  throw new Error(`${at}: expected inline_bytes or inline_string`);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every PEM certificate of a bundle, each parsed; throws with the field path when one is not. */
function parsedCertificates(pem: string, at: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${at}: no PEM certificate`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new Error(`${at}: certificate ${i} does not parse (${(err as Error).message})`, { cause: err });
    }
  });
}

function certificateOf(secret: Secret): { cert: string; key: string } {
  const tls = secret.tls_certificate as Obj;
  const cert = inlineText(tls['certificate_chain'], 'tls_certificate.certificate_chain');
  const key = inlineText(tls['private_key'], 'tls_certificate.private_key');
  const leaf = parsedCertificates(cert, 'tls_certificate.certificate_chain')[0] as X509Certificate;
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`tls_certificate.private_key: not a PEM private key (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new Error('tls_certificate.private_key: does not match the certificate');
  return { cert, key };
}

function rootsOf(secret: Secret): { ca: string; crl?: string } {
  const validation = secret.validation_context as Obj;
  const ca = inlineText(validation['trusted_ca'], 'validation_context.trusted_ca');
  parsedCertificates(ca, 'validation_context.trusted_ca');
  if (validation['crl'] === undefined) return { ca };
  const crl = inlineText(validation['crl'], 'validation_context.crl');
  try {
    createSecureContext({ ca, crl });
  } catch (err) {
    throw new Error(`validation_context.crl: not a PEM CRL (${(err as Error).message})`, { cause: err });
  }
  return { ca, crl };
}

/** Why a Secret cannot serve (with its name and field path); empty when it can. */
export function secretProblems(secret: Secret): string[] {
  try {
    if (secret.tls_certificate) certificateOf(secret);
    else if (secret.validation_context) rootsOf(secret);
    else return [`Secret ${secret.name}: holds no tls_certificate or validation_context this proxy uses`];
    return [];
  } catch (err) {
    return [`Secret ${secret.name}: ${(err as Error).message}`];
  }
}

/** A short digest of secret material: TLS contexts are cached per stamp. */
function stampOf(name: string, ...parts: (string | undefined)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part ?? '').update('\0');
  return `${name}@${hash.digest('hex').slice(0, 16)}`;
}

/** The accepted SDS secrets, as the TLS contexts read them (each accepted resource parsed once). */
export class SdsSecrets {
  readonly #parsed = new WeakMap<Secret, CertificateSecret | RootsSecret>();

  /** `held`: the secrets the ADS client accepted, by name. */
  constructor(private readonly held: () => ReadonlyMap<string, HeldResource<Secret>>) {}

  /** A certificate and key; throws when the secret has not arrived or holds something else. */
  certificate(name: string): CertificateSecret {
    return this.#get(name, 'tls_certificate', 'a certificate') as CertificateSecret;
  }

  /** Roots (and a CRL) to verify peers with; throws when the secret has not arrived or holds something else. */
  roots(name: string): RootsSecret {
    return this.#get(name, 'validation_context', 'trusted roots') as RootsSecret;
  }

  #get(
    name: string,
    kind: 'tls_certificate' | 'validation_context',
    what: string,
  ): CertificateSecret | RootsSecret {
    const secret = this.held().get(name)?.resource;
    if (!secret)
      throw new TlsError('TLS_SECRET_UNAVAILABLE', `secret ${name} has not been received from istiod`);
    if (!secret[kind])
      throw new TlsError('TLS_SECRET_UNAVAILABLE', `secret ${name} from istiod does not hold ${what}`);
    let value = this.#parsed.get(secret);
    if (!value) {
      // Accepted updates passed secretProblems, so parsing cannot fail here.
      if (kind === 'tls_certificate') {
        const { cert, key } = certificateOf(secret);
        value = { stamp: stampOf(name, cert, key), cert, key };
      } else {
        const roots = rootsOf(secret);
        value = { ...roots, stamp: stampOf(name, roots.ca, roots.crl) };
      }
      this.#parsed.set(secret, value);
    }
    return value;
  }
}
