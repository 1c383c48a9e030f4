import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  CertificateAuthority,
  createSelfSignedRoot,
  PLUG_IN_CA_FILES,
  readOrCreateSecretFile,
  STATE_FILES,
} from '@mesh/pki';

import type { IstiodOptions } from '../options.js';

export interface LoadedCa {
  ca: CertificateAuthority;
  /** Where the signing material came from, for logs and status. */
  source: 'plug-in' | 'self-signed (created)' | 'self-signed (reused)';
}

/** A plug-in CA directory, a persisted self-signed root, or a configuration problem; say which file. */
export class CaMaterialError extends Error {
  override readonly name = 'CaMaterialError';
  readonly code = 'ISTIOD_CA_MATERIAL';
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

/**
 * Istio's precedence: a plug-in CA (`cacerts` layout in `--ca-dir`) wins; otherwise the self-signed
 * root kept in the state directory is reused, or created on first start (key file mode 0600).
 */
export function loadCa(options: IstiodOptions & { trustDomain: string }): LoadedCa {
  const ttl = {
    maxWorkloadTtlSeconds: options.maxWorkloadCertTtlSeconds,
    defaultWorkloadTtlSeconds: options.workloadCertTtlSeconds,
  };
  if (options.caDir) {
    const dir = options.caDir;
    try {
      const ca = CertificateAuthority.fromPem({
        certPem: readRequired(dir, PLUG_IN_CA_FILES.caCert),
        keyPem: readRequired(dir, PLUG_IN_CA_FILES.caKey),
        certChainPem: readOptional(dir, PLUG_IN_CA_FILES.certChain),
        rootCertPem: readRequired(dir, PLUG_IN_CA_FILES.rootCert),
        ...ttl,
      });
      return { ca, source: 'plug-in' };
    } catch (err) {
      if (err instanceof CaMaterialError) throw err;
      throw new CaMaterialError(`plug-in CA in ${dir} is unusable: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  let created: CertificateAuthority | undefined;
  const keyFile = join(options.stateDir, STATE_FILES.rootKey);
  const certFile = join(options.stateDir, STATE_FILES.rootCert);
  const key = readOrCreateSecretFile(keyFile, () => {
    created = createSelfSignedRoot({ trustDomain: options.trustDomain, ...ttl });
    return created.privateKeyPem;
  });
  const cert = readOrCreateSecretFile(certFile, () => {
    if (!created)
      throw new CaMaterialError(`${keyFile} exists but ${certFile} does not: restore it or remove both`);
    return created.certificate.pem;
  });
  try {
    const ca = CertificateAuthority.fromPem({
      certPem: cert.content,
      keyPem: key.content,
      rootCertPem: cert.content,
      ...ttl,
    });
    return { ca, source: key.created ? 'self-signed (created)' : 'self-signed (reused)' };
  } catch (err) {
    throw new CaMaterialError(
      `self-signed root in ${options.stateDir} is unusable: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
