import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  CertificateAuthority,
  createSelfSignedRoot,
  PLUG_IN_CA_FILES,
  parseCertificate,
  PkiError,
  readOrCreateSecretFile,
  rotateSelfSignedRoot,
  splitCertificatePem,
  STATE_FILES,
  TrustBundle,
  unexpiredRoots,
} from '@mesh/pki';

import type { IstiodOptions } from '../options.js';
import { writeOwnerOnlyFile } from '../state/owner-only-file.js';

export interface LoadedCa {
  ca: CertificateAuthority;
  /** Where the signing material came from, for logs and status. */
  source:
    | 'plug-in'
    | 'self-signed (created)'
    | 'self-signed (reused)'
    | 'self-signed (the persisted root had expired: rotated for the same key)';
  /** The plug-in files it was made of, to tell when they change. */
  plugInFiles?: PlugInFiles;
}

/** A plug-in CA directory, a persisted self-signed root, or a configuration problem; say which file. */
export class CaMaterialError extends Error {
  override readonly name = 'CaMaterialError';
  readonly code = 'ISTIOD_CA_MATERIAL';
}

type CaOptions = Pick<IstiodOptions, 'maxWorkloadCertTtlSeconds' | 'workloadCertTtlSeconds'>;

function issuing(options: CaOptions) {
  return {
    maxWorkloadTtlSeconds: options.maxWorkloadCertTtlSeconds,
    defaultWorkloadTtlSeconds: options.workloadCertTtlSeconds,
  };
}

function readRequired(dir: string, file: string): string {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    throw new CaMaterialError(
      `cannot read ${join(dir, file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function readOptional(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

/** The plug-in files as read now: compared to tell a change (Kubernetes swaps them all at once). */
export interface PlugInFiles {
  caCert: string;
  caKey: string;
  certChain?: string;
  rootCert: string;
}

export function readPlugInFiles(dir: string): PlugInFiles {
  return {
    caCert: readRequired(dir, PLUG_IN_CA_FILES.caCert),
    caKey: readRequired(dir, PLUG_IN_CA_FILES.caKey),
    certChain: readOptional(dir, PLUG_IN_CA_FILES.certChain),
    rootCert: readRequired(dir, PLUG_IN_CA_FILES.rootCert),
  };
}

/**
 * The CA of a plug-in directory's files, checked as Istio's `VerifyAndSetAll` checks them: the key is
 * the certificate's, it is a CA, valid now, and chains to `root-cert.pem` (which may hold the old and
 * the new root during an operator's rotation). Throws `CaMaterialError` naming the directory.
 */
export function plugInCa(dir: string, files: PlugInFiles, options: CaOptions): CertificateAuthority {
  try {
    return CertificateAuthority.fromPem({
      certPem: files.caCert,
      keyPem: files.caKey,
      certChainPem: files.certChain,
      rootCertPem: files.rootCert,
      ...issuing(options),
    });
  } catch (err) {
    throw new CaMaterialError(`plug-in CA in ${dir} is unusable: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Istio's precedence: a plug-in CA (`cacerts` layout in `--ca-dir`) wins; otherwise the self-signed
 * root kept in the state directory is reused, or created on first start (key file mode 0600) for
 * `CITADEL_SELF_SIGNED_CA_CERT_TTL`. A persisted root that expired while istiod was down is rotated
 * for the same key at once, as Istio's rotator does with an expired root, rather than refusing to
 * start: every workload's certificate has expired with it anyway, and they renew under the new one.
 */
export async function loadCa(options: IstiodOptions & { trustDomain: string }): Promise<LoadedCa> {
  if (options.caDir) {
    const dir = options.caDir;
    const plugInFiles = readPlugInFiles(dir);
    return { ca: plugInCa(dir, plugInFiles, options), source: 'plug-in', plugInFiles };
  }
  let created: CertificateAuthority | undefined;
  const keyFile = join(options.stateDir, STATE_FILES.rootKey);
  const certFile = join(options.stateDir, STATE_FILES.rootCert);
  const key = readOrCreateSecretFile(keyFile, () => {
    created = createSelfSignedRoot({
      trustDomain: options.trustDomain,
      ttlSeconds: options.selfSignedRoot.ttlSeconds,
      ...issuing(options),
    });
    return created.privateKeyPem;
  });
  const cert = readOrCreateSecretFile(certFile, () => {
    if (!created)
      throw new CaMaterialError(`${keyFile} exists but ${certFile} does not: restore it or remove both`);
    return created.certificate.pem;
  });
  const files = { certPem: cert.content, keyPem: key.content };
  try {
    const ca = selfSignedCa(options.stateDir, files, options);
    return { ca, source: key.created ? 'self-signed (created)' : 'self-signed (reused)' };
  } catch (err) {
    if (
      (err as Error).cause instanceof PkiError &&
      ((err as Error).cause as PkiError).code === 'PKI_EXPIRED'
    ) {
      const ca = await rotateExpiredRoot(options.stateDir, files, options);
      return { ca, source: 'self-signed (the persisted root had expired: rotated for the same key)' };
    }
    throw err;
  }
}

async function rotateExpiredRoot(
  stateDir: string,
  files: { certPem: string; keyPem: string },
  options: CaOptions & Pick<IstiodOptions, 'selfSignedRoot'>,
): Promise<CertificateAuthority> {
  try {
    const { notAfter } = parseCertificate(files.certPem, `${join(stateDir, STATE_FILES.rootCert)}`);
    // Read as of its last valid second: every other check (key, CA, chain) still applies.
    const expired = CertificateAuthority.fromPem({
      certPem: files.certPem,
      keyPem: files.keyPem,
      rootCertPem: files.certPem,
      ...issuing(options),
      now: new Date(notAfter.getTime() - 1000),
    });
    const rotated = rotateSelfSignedRoot(expired, { ttlSeconds: options.selfSignedRoot.ttlSeconds });
    await persistRotatedRoot(stateDir, rotated);
    return rotated;
  } catch (err) {
    throw new CaMaterialError(
      `self-signed root in ${stateDir} has expired and cannot be rotated: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The persisted self-signed root as read now (another istiod sharing the state may have rotated it). */
export function readSelfSignedFiles(stateDir: string): { certPem: string; keyPem: string } {
  return {
    certPem: readRequired(stateDir, STATE_FILES.rootCert),
    keyPem: readRequired(stateDir, STATE_FILES.rootKey),
  };
}

/**
 * The self-signed CA of the persisted root, trusting also the roots rotated out that are still valid
 * (`previous-roots.pem`, written by `persistRotatedRoot`). A previous root that cannot be read is
 * left out: it only widens trust, and the current root alone is a working CA.
 */
export function selfSignedCa(
  stateDir: string,
  files: { certPem: string; keyPem: string },
  options: CaOptions,
  onProblem: (message: string) => void = () => undefined,
): CertificateAuthority {
  let previous: string[] = [];
  const previousFile = join(stateDir, STATE_FILES.previousRoots);
  const text = readOptional(stateDir, STATE_FILES.previousRoots);
  if (text !== undefined) {
    try {
      previous = unexpiredRoots(TrustBundle.fromPem(text, previousFile).roots, new Date()).map((r) => r.pem);
    } catch (err) {
      onProblem(`${previousFile} left out: ${(err as Error).message}`);
    }
  }
  try {
    return CertificateAuthority.fromPem({
      certPem: files.certPem,
      keyPem: files.keyPem,
      rootCertPem: [files.certPem, ...previous].join(''),
      ...issuing(options),
    });
  } catch (err) {
    throw new CaMaterialError(`self-signed root in ${stateDir} is unusable: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Persists a rotated self-signed root: the roots it still trusts besides itself first, then the new
 * root certificate (the key is the same), each written atomically, so a crash in between leaves the
 * old root with its trust or the new one with it.
 */
export async function persistRotatedRoot(stateDir: string, ca: CertificateAuthority): Promise<void> {
  const previous = ca.trustBundle.roots.filter((r) => r.pem !== ca.certificate.pem).map((r) => r.pem);
  await writeOwnerOnlyFile(join(stateDir, STATE_FILES.previousRoots), previous.join(''));
  await writeOwnerOnlyFile(join(stateDir, STATE_FILES.rootCert), ca.certificate.pem);
}

/** Whether two PEM texts hold the same certificates (whitespace and order of blocks aside). */
export function sameCertificates(a: string, b: string): boolean {
  const blocks = (text: string) => splitCertificatePem(text, 'certificate').join('');
  try {
    return blocks(a) === blocks(b);
  } catch {
    return a === b;
  }
}
