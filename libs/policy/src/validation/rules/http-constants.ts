/** Value sets Istio's webhook checks HTTP route fields against. */

/** `retries.retryOn` conditions Envoy understands (`x-envoy-retry-on` and `x-envoy-retry-grpc-on`). */
export const RETRY_ON_POLICIES: ReadonlySet<string> = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/**
 * HTTP status codes with a registered reason phrase (Go's `http.StatusText`), which `retryOn` also
 * accepts, e.g. `retryOn: 503,connect-failure`.
 */
export const HTTP_STATUS_CODES: ReadonlySet<string> = new Set(
  [
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
    308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
    422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
  ].map(String),
);

/** gRPC status names accepted by `fault.abort.grpcStatus`. */
export const GRPC_STATUS_NAMES: ReadonlySet<string> = new Set([
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);
