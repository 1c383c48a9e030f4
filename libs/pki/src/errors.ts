/**
 * Stable error codes of libs/pki. Callers (istiod's CA service, the proxy agent, meshctl) branch on
 * `code`, never on message text; messages say what is wrong in words an operator can act on.
 */
export const PKI_ERROR_CODES = {
  /** The text holds no PEM block of the expected kind, or the block is not valid base64. */
  PKI_INVALID_PEM: 'no PEM block of the expected kind',
  /** A CSR is not a well-formed PKCS#10 structure. */
  PKI_INVALID_CSR: 'malformed certificate signing request',
  /** A certificate is not a well-formed X.509 structure, or lacks something it must have. */
  PKI_INVALID_CERTIFICATE: 'malformed or unusable certificate',
  /** A private or public key cannot be read. */
  PKI_INVALID_KEY: 'malformed key',
  /** A key type, curve, size or signature algorithm this library does not accept. */
  PKI_UNSUPPORTED_ALGORITHM: 'unsupported key or signature algorithm',
  /** A signature does not verify with the key it claims. */
  PKI_BAD_SIGNATURE: 'signature does not verify',
  /** A CSR carries no subject alternative name to certify. */
  PKI_MISSING_SAN: 'no subject alternative name',
  /** The identity in a CSR is not the identity the caller authenticated as. */
  PKI_IDENTITY_MISMATCH: 'identity mismatch',
  /** A SPIFFE ID is malformed. */
  PKI_INVALID_SPIFFE_ID: 'invalid SPIFFE ID',
  /** A certificate's validity period ended before the time of use. */
  PKI_EXPIRED: 'certificate expired',
  /** A certificate's validity period starts after the time of use. */
  PKI_NOT_YET_VALID: 'certificate not yet valid',
  /** A private key does not belong to the certificate it is paired with. */
  PKI_KEY_MISMATCH: 'key does not match certificate',
  /** A certificate used to sign others is not a CA certificate. */
  PKI_NOT_A_CA: 'not a CA certificate',
  /** A chain does not lead to a trusted root. */
  PKI_UNTRUSTED_CHAIN: 'chain does not lead to a trusted root',
  /** A join token (istiod-issued JWT for workloads outside Kubernetes) is malformed or fails checks. */
  PKI_TOKEN_INVALID: 'invalid join token',
  /** A join token's lifetime is over. */
  PKI_TOKEN_EXPIRED: 'join token expired',
  /** A caller passed an argument outside its domain (empty DNS names, NaN TTL, ...). */
  PKI_INVALID_ARGUMENT: 'invalid argument',
} as const;

export type PkiErrorCode = keyof typeof PKI_ERROR_CODES;

export class PkiError extends Error {
  override readonly name: string = 'PkiError';

  constructor(
    readonly code: PkiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `error` is a `PkiError`, optionally with the given code. */
export function isPkiError(error: unknown, code?: PkiErrorCode): error is PkiError {
  return error instanceof PkiError && (code === undefined || error.code === code);
}
