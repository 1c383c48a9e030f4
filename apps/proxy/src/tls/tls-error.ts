/** Why the proxy could not set up or accept a TLS connection; the message is what access logs and 503s show. */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  constructor(
    readonly code:
      | 'TLS_NO_CERTIFICATE'
      | 'TLS_SECRET_UNAVAILABLE'
      | 'TLS_PEER_IDENTITY'
      | 'TLS_SERVER_NOT_TRUSTED'
      | 'TLS_HANDSHAKE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
