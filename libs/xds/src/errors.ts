/**
 * Stable error codes of libs/xds. Callers branch on `code`, never on message text.
 * - XDS_ENCODE / XDS_DECODE: a message does not fit its proto type.
 * - XDS_UNKNOWN_TYPE: a type URL names no loaded message type.
 * - XDS_INVALID_RESOURCE: a decoded resource failed validation (details in `errors`).
 * - XDS_STREAM: an ADS stream ended or misbehaved.
 */
export type XdsErrorCode =
  'XDS_ENCODE' | 'XDS_DECODE' | 'XDS_UNKNOWN_TYPE' | 'XDS_INVALID_RESOURCE' | 'XDS_STREAM';

export class XdsError extends Error {
  override readonly name = 'XdsError';

  constructor(
    readonly code: XdsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
