/**
 * The `Status` object (`kind: Status, apiVersion: v1`) the API server sends with every failed request,
 * and helpers to read it from what `@kubernetes/client-node` throws. Controllers branch on `reason`
 * and `code` (NotFound → treat as deleted, Conflict → re-read and retry, Expired/Gone → relist), never
 * on message text, exactly as client-go's `apierrors.IsNotFound` and friends do.
 */
export const STATUS_REASONS = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const;

export type StatusReason = keyof typeof STATUS_REASONS;

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | string;
  details?: StatusDetails;
  code: number;
}

/** True for a parsed `Status` object. */
export function isKubeStatus(value: unknown): value is KubeStatus {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'Status' &&
    typeof (value as { code?: unknown }).code === 'number'
  );
}

/**
 * The `Status` carried by an error from `@kubernetes/client-node` (an `ApiException` holds the HTTP
 * code and the raw body text), or `undefined` when the error did not come from the API server
 * (connection refused, TLS failure, ...). A body that is not a Status still yields one with the code.
 */
export function apiStatusOf(error: unknown): KubeStatus | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, body } = error as { code?: unknown; body?: unknown };
  if (typeof code !== 'number' || code < 100 || code > 599) return undefined;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  if (isKubeStatus(parsed)) return parsed;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code };
}

/** The `reason` of an API error (`NotFound`, `Conflict`, ...), if the error came from the API server. */
export function apiErrorReason(error: unknown): string | undefined {
  return apiStatusOf(error)?.reason;
}

export function isNotFound(error: unknown): boolean {
  return apiStatusOf(error)?.code === 404;
}

/** An optimistic-concurrency conflict (stale resourceVersion) or an apply field-ownership conflict. */
export function isConflict(error: unknown): boolean {
  const status = apiStatusOf(error);
  return status?.code === 409 && status.reason !== 'AlreadyExists';
}

export function isAlreadyExists(error: unknown): boolean {
  return apiStatusOf(error)?.reason === 'AlreadyExists';
}

/** The resourceVersion asked for is older than the server remembers: relist. */
export function isResourceExpired(error: unknown): boolean {
  return apiStatusOf(error)?.code === 410;
}

export function isInvalid(error: unknown): boolean {
  return apiStatusOf(error)?.code === 422;
}

/**
 * The seconds the API server asks a caller to wait before trying again, or `undefined` when the failure
 * is not one to retry: 429 (e.g. "storage is (re)initializing" while the watch cache of a just
 * established CRD fills) and 503, the answers client-go retries, with the server's Retry-After or 1 s.
 */
export function retryAfterOf(error: unknown): number | undefined {
  const status = apiStatusOf(error);
  if (status?.code !== 429 && status?.code !== 503) return undefined;
  return status.details?.retryAfterSeconds ?? 1;
}

/** `call`, tried again while the API server says to come back (`retryAfterOf`), waiting at most `budgetMs` in all. */
export async function retryingApiCall<T>(call: () => Promise<T>, budgetMs = 10_000): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const after = retryAfterOf(err);
      if (after === undefined || waited >= budgetMs) throw err;
      const ms = Math.min(Math.max(after, 0.1) * 1000, budgetMs - waited);
      await new Promise((resolve) => setTimeout(resolve, ms));
      waited += ms;
    }
  }
}
