/**
 * Stable error codes of transparent capture (iptables rule generation and original-destination
 * lookup); callers branch on `code`, and `cause` keeps the underlying error (a dlopen failure, an
 * errno).
 */
export const CAPTURE_ERROR_CODES = {
  /** The capture options are invalid (a port out of range, a malformed CIDR, a bad uid). */
  CAPTURE_INVALID_OPTIONS: 'the capture options are invalid',
  /** Original destinations can only be read on Linux (netfilter's SO_ORIGINAL_DST). */
  CAPTURE_UNSUPPORTED_PLATFORM: 'transparent capture is only supported on Linux',
  /** koffi or the C library could not be loaded, so getsockopt cannot be called. */
  CAPTURE_LIBC_UNAVAILABLE: 'the C library could not be loaded',
  /** The socket has no file descriptor (already closed, or not a TCP socket). */
  CAPTURE_NO_FILE_DESCRIPTOR: 'the socket has no file descriptor',
  /** getsockopt failed for a reason other than "this connection was not redirected". */
  CAPTURE_GETSOCKOPT_FAILED: 'getsockopt(SO_ORIGINAL_DST) failed',
} as const;

export type CaptureErrorCode = keyof typeof CAPTURE_ERROR_CODES;

export class CaptureError extends Error {
  override readonly name = 'CaptureError';

  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
