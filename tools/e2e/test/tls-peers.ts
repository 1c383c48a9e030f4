import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  CertificateAuthority,
  createCsr,
  createSelfSignedRoot,
  generateKeyPair,
  STATE_FILES,
} from '@mesh/pki';

/**
 * TLS peers nobody in this repository wrote, for end-to-end tests of the sidecar's TLS: `openssl
 * s_client` with chosen versions, suites and groups, and certificates from the mesh CA (a real
 * workload identity, so a refused handshake can only be about the parameters under test) or from a
 * throwaway CA standing in for a public one.
 */

export interface SClientResult {
  /** s_client's stdout and stderr: handshake summary, then what the server answered. */
  output: string;
  /** The handshake completed and a response came back. */
  answered: boolean;
}

/**
 * Connects with `openssl s_client` (extra `args` choose versions, suites, groups, certificates), sends
 * one HTTP/1.1 request and reads until the server closes.
 */
export function sClient(address: string, args: readonly string[]): Promise<SClientResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', address, '-alpn', 'http/1.1', '-ign_eof', ...args],
      { encoding: 'utf8', timeout: 10_000 },
      (_err, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        resolve({ output, answered: /HTTP\/1\.1 \d{3}/.test(stdout) });
      },
    );
    child.stdin?.end('GET /tls HTTP/1.1\r\nHost: tls-test\r\nConnection: close\r\n\r\n');
  });
}

export interface CertificateFiles {
  cert: string;
  key: string;
  ca: string;
}

/** A client certificate for `spiffe://cluster.local/ns/<namespace>/sa/<sa>` from the mesh's own CA. */
export function meshClientCertificate(
  stateDir: string,
  dir: string,
  namespace: string,
  sa: string,
): CertificateFiles {
  const rootCertPem = readFileSync(join(stateDir, STATE_FILES.rootCert), 'utf8');
  const authority = CertificateAuthority.fromPem({
    certPem: rootCertPem,
    keyPem: readFileSync(join(stateDir, STATE_FILES.rootKey), 'utf8'),
    rootCertPem,
  });
  const identity = `spiffe://cluster.local/ns/${namespace}/sa/${sa}`;
  const keys = generateKeyPair('ECDSA_P256');
  const issued = authority.issueWorkloadCertificate({
    csrPem: createCsr({ privateKey: keys.privateKeyPem, identity }),
    identity,
  });
  const ca = join(dir, 'mesh-root.pem');
  writeFileSync(ca, rootCertPem);
  return writeFiles(dir, `mesh-${sa}`, issued.chainPem.join(''), keys.privateKeyPem, ca);
}

/** A throwaway CA (a stand-in for a public one) whose root is in `ca` and which issues server certificates. */
export class ThrowawayCa {
  readonly ca: string;
  readonly #authority: CertificateAuthority;

  constructor(
    private readonly dir: string,
    label: string,
  ) {
    this.#authority = createSelfSignedRoot({
      trustDomain: 'example.test',
      organization: `throwaway CA ${label}`,
    });
    this.ca = join(dir, `${label}-ca.pem`);
    writeFileSync(this.ca, this.#authority.certificate.pem);
  }

  serverCertificate(label: string, dnsNames: string[]): CertificateFiles {
    const issued = this.#authority.issueServerCertificate({ dnsNames });
    return writeFiles(this.dir, label, issued.chainPem.join(''), issued.privateKeyPem, this.ca);
  }
}

/** Writes a certificate and key; `ca` is the roots' file, written here when given as PEM. */
function writeFiles(dir: string, label: string, cert: string, key: string, ca: string): CertificateFiles {
  const files = { cert: join(dir, `${label}-cert.pem`), key: join(dir, `${label}-key.pem`), ca };
  writeFileSync(files.cert, cert);
  writeFileSync(files.key, key, { mode: 0o600 });
  return files;
}
