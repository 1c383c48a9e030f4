/**
 * Names of the SDS secrets Istio's agent serves from files a DestinationRule names (`pkg/security`
 * `SdsCertificateConfig`): `file-cert:<chain>~<key>` for a client certificate and `file-root:<bundle>`
 * for the roots to trust, `file-root:system` being the operating system's bundle. istiod writes these
 * names; the proxy reads the files behind them (and re-reads them when they change).
 */

export const SYSTEM_ROOTS = 'system';
const FILE_CERT_PREFIX = 'file-cert:';
const FILE_ROOT_PREFIX = 'file-root:';
const SEPARATOR = '~';

export type FileSecret =
  | { kind: 'certificate'; certificateChain: string; privateKey: string }
  | { kind: 'roots'; caCertificates: string };

export function fileCertificateSecretName(certificateChain: string, privateKey: string): string {
  return `${FILE_CERT_PREFIX}${certificateChain}${SEPARATOR}${privateKey}`;
}

/** Without `caCertificates`, the system's bundle (Istio's `ptr.NonEmptyOrDefault(..., "system")`). */
export function fileRootsSecretName(caCertificates: string | undefined): string {
  return `${FILE_ROOT_PREFIX}${caCertificates || SYSTEM_ROOTS}`;
}

/** The files behind a secret name, or undefined when it is not a file secret. */
export function parseFileSecretName(name: string): FileSecret | undefined {
  if (name.startsWith(FILE_ROOT_PREFIX)) {
    const caCertificates = name.slice(FILE_ROOT_PREFIX.length);
    return caCertificates && !caCertificates.includes(SEPARATOR)
      ? { kind: 'roots', caCertificates }
      : undefined;
  }
  if (name.startsWith(FILE_CERT_PREFIX)) {
    const [certificateChain, privateKey, ...rest] = name.slice(FILE_CERT_PREFIX.length).split(SEPARATOR);
    return certificateChain && privateKey && rest.length === 0
      ? { kind: 'certificate', certificateChain, privateKey }
      : undefined;
  }
  return undefined;
}
