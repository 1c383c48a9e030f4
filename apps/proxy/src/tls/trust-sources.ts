import { readFileSync, statSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

import { parseFileSecretName, SYSTEM_ROOTS } from '@mesh/xds';

import type { WorkloadCertificate } from '../agent/index.js';
import { isIstiodSecretName, type SdsSecrets } from './sds-secrets.js';
import { TlsError } from './tls-error.js';

/**
 * The certificate a TLS context presents and the roots it verifies its peer against, from the names it
 * uses: the agent's SDS secrets `default` and `ROOTCA` (the workload certificate and mesh roots),
 * Istio's file secrets `file-cert:<chain>~<key>` and `file-root:<bundle>` (`file-root:system` being
 * the operating system's bundle), a gateway's `kubernetes://` credentials istiod serves over SDS, and
 * inline or file data sources. A secret the proxy does not have (a `kubernetes://` credential on a
 * sidecar, or one not received yet) fails the connection rather than leaving it unverified.
 */

type Obj = Record<string, unknown>;

/** Where Linux distributions keep the system CA bundle; the first found wins (Istio's `GetOSRootFilePath`). */
const OS_ROOT_FILES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
  '/usr/local/etc/ssl/cert.pem',
  '/etc/ssl/certs/ca-certificates',
];

/** Where secrets come from: the agent's workload certificate, and istiod's SDS secrets (routers only). */
export interface SecretSources {
  workload: () => WorkloadCertificate;
  sds?: SdsSecrets;
}

/** What createSecureContext needs, plus a version that changes whenever any of it may have. */
export interface TlsMaterial {
  version: string;
  cert?: string;
  key?: string;
  ca?: string | string[];
  crl?: string;
  /** What the peer is verified against, for messages; undefined: the peer is not verified. */
  trusts?: string;
}

const files = new Map<string, { stamp: string; content: string }>();

/** A file's content, read again only when its modification time or size changed (rotation). */
function readVersioned(path: string, secret: string): { stamp: string; content: string } {
  try {
    const stat = statSync(path);
    const stamp = `${path}@${stat.mtimeMs}:${stat.size}`;
    let entry = files.get(path);
    if (entry?.stamp !== stamp) {
      entry = { stamp, content: readFileSync(path, 'utf8') };
      files.set(path, entry);
    }
    return entry;
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new TlsError('TLS_SECRET_UNAVAILABLE', `${secret}: cannot read ${path} (${reason})`, { cause });
  }
}

function systemRoots(): { stamp: string; content: string | string[] } {
  for (const path of OS_ROOT_FILES) {
    try {
      if (statSync(path).isFile()) return readVersioned(path, `file-root:${SYSTEM_ROOTS}`);
    } catch {
      // not on this system; try the next place
    }
  }
  // No system bundle (a minimal container): the Mozilla roots Node carries.
  return { stamp: 'node-roots', content: [...rootCertificates] };
}

function unavailable(name: string): TlsError {
  return new TlsError(
    'TLS_SECRET_UNAVAILABLE',
    isIstiodSecretName(name)
      ? `secret ${name} is not available to this proxy (istiod serves kubernetes:// secrets to gateways only)`
      : `secret ${name} is not available to this proxy (it serves default, ROOTCA, file-cert: and file-root: secrets)`,
  );
}

/** A DataSource's content: a file (re-read when it changes), inline text or base64 bytes. */
function dataSource(source: unknown, what: string): { stamp: string; content: string } | undefined {
  const s = source as { filename?: string; inline_string?: string; inline_bytes?: string } | undefined;
  if (s?.filename) return readVersioned(s.filename, what);
  if (s?.inline_string) return { stamp: 'inline', content: s.inline_string };
  if (s?.inline_bytes)
    return { stamp: 'inline', content: Buffer.from(s.inline_bytes, 'base64').toString('utf8') };
  return undefined;
}

function certificateOf(common: Obj, sources: SecretSources): Partial<TlsMaterial> & { stamp: string } {
  const sds = ((common['tls_certificate_sds_secret_configs'] ?? []) as { name?: string }[])[0]?.name;
  if (sds === 'default') {
    const certificate = sources.workload();
    return {
      stamp: certificate.serial,
      cert: certificate.certificateChainPem,
      key: certificate.privateKeyPem,
    };
  }
  if (sds !== undefined && isIstiodSecretName(sds) && sources.sds) return sources.sds.certificate(sds);
  if (sds !== undefined) {
    const secret = parseFileSecretName(sds);
    if (secret?.kind !== 'certificate') throw unavailable(sds);
    const cert = readVersioned(secret.certificateChain, sds);
    const key = readVersioned(secret.privateKey, sds);
    return { stamp: `${cert.stamp}|${key.stamp}`, cert: cert.content, key: key.content };
  }
  const inline = (
    (common['tls_certificates'] ?? []) as { certificate_chain?: unknown; private_key?: unknown }[]
  )[0];
  const cert = dataSource(inline?.certificate_chain, 'tls_certificates[0].certificate_chain');
  const key = dataSource(inline?.private_key, 'tls_certificates[0].private_key');
  return cert && key
    ? { stamp: `${cert.stamp}|${key.stamp}`, cert: cert.content, key: key.content }
    : { stamp: '' };
}

function rootsOf(
  sds: string | undefined,
  context: Obj,
  sources: SecretSources,
): Partial<TlsMaterial> & { stamp: string } {
  if (sds === 'ROOTCA') {
    const certificate = sources.workload();
    return { stamp: certificate.serial, ca: certificate.rootsPem, trusts: 'the mesh roots (ROOTCA)' };
  }
  if (sds !== undefined && isIstiodSecretName(sds) && sources.sds)
    return { ...sources.sds.roots(sds), trusts: sds };
  if (sds !== undefined) {
    const secret = parseFileSecretName(sds);
    if (secret?.kind !== 'roots') throw unavailable(sds);
    const roots =
      secret.caCertificates === SYSTEM_ROOTS ? systemRoots() : readVersioned(secret.caCertificates, sds);
    return { stamp: roots.stamp, ca: roots.content, trusts: sds };
  }
  const inline = dataSource(context['trusted_ca'], 'trusted_ca');
  return inline ? { stamp: inline.stamp, ca: inline.content, trusts: 'trusted_ca' } : { stamp: '' };
}

/**
 * A TLS context's certificate, roots and CRL, either side (throws TlsError when unavailable). A CRL
 * the roots' SDS secret carries wins over the default context's, as Envoy merges the two.
 */
export function tlsMaterial(
  common: Obj,
  validation: { sds?: string; context: Obj },
  sources: SecretSources,
): TlsMaterial {
  const certificate = certificateOf(common, sources);
  const roots = rootsOf(validation.sds, validation.context, sources);
  const crl = dataSource(validation.context['crl'], 'crl');
  const { stamp: certificateStamp, ...certificateParts } = certificate;
  const { stamp: rootsStamp, ...rootParts } = roots;
  return {
    version: `${certificateStamp}|${rootsStamp}|${crl?.stamp ?? ''}`,
    ...certificateParts,
    ...(crl ? { crl: crl.content } : {}),
    ...rootParts,
  };
}
