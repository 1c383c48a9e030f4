import type { KubeStatus, StatusCause, StatusDetails, StatusReason } from '../api-status.js';
import { STATUS_REASONS } from '../api-status.js';

/**
 * Failures of the test API server, each carrying the `Status` object kube-apiserver would send: the
 * same HTTP code, `reason` and message wording (`pods "web" not found`, `Operation cannot be
 * fulfilled on ...`), so clients that branch on them behave as they would against a real cluster.
 * The `reason` is the stable code.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: KubeStatus,
    options?: { cause?: unknown },
  ) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`, options);
  }

  get reason(): string {
    return this.status.reason ?? '';
  }

  get code(): number {
    return this.status.code;
  }
}

/** What a message names: `pods` for the core group, `virtualservices.networking.istio.io` otherwise. */
export interface QualifiedResource {
  readonly group: string;
  readonly resource: string;
}

export function qualifiedResourceName({ group, resource }: QualifiedResource): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export function apiError(
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
  code: number = STATUS_REASONS[reason],
): ApiError {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return new ApiError(status);
}

function resourceDetails(resource: QualifiedResource, name: string): StatusDetails {
  return { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.resource };
}

export function notFound(resource: QualifiedResource, name: string): ApiError {
  return apiError(
    'NotFound',
    `${qualifiedResourceName(resource)} "${name}" not found`,
    resourceDetails(resource, name),
  );
}

/** An unknown path or resource type (not an unknown object of a known type). */
export function pathNotFound(): ApiError {
  return apiError('NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(resource: QualifiedResource, name: string): ApiError {
  const message = `${qualifiedResourceName(resource)} "${name}" already exists`;
  return apiError('AlreadyExists', message, resourceDetails(resource, name));
}

export function conflict(resource: QualifiedResource, name: string, why: string): ApiError {
  const message = `Operation cannot be fulfilled on ${qualifiedResourceName(resource)} "${name}": ${why}`;
  return apiError('Conflict', message, resourceDetails(resource, name));
}

export const STALE_RESOURCE_VERSION =
  'the object has been modified; please apply your changes to the latest version and try again';

export function forbidden(resource: QualifiedResource, name: string, why: string): ApiError {
  const subject = name ? `${qualifiedResourceName(resource)} "${name}"` : qualifiedResourceName(resource);
  return apiError('Forbidden', `${subject} is forbidden: ${why}`, resourceDetails(resource, name));
}

export function badRequest(message: string): ApiError {
  return apiError('BadRequest', message);
}

export function expired(message: string): ApiError {
  return apiError('Expired', message);
}

export function unauthorized(): ApiError {
  return apiError('Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): ApiError {
  return apiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): ApiError {
  return apiError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType || 'none'}) - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function internalError(message: string, cause?: unknown): ApiError {
  const error = apiError('InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  return cause === undefined ? error : new ApiError(error.status, { cause });
}

/** One field problem of a 422 Invalid, in apimachinery's `field.Error` shapes. */
export interface FieldError {
  readonly type: 'Required' | 'Invalid' | 'NotSupported' | 'Forbidden' | 'TooLong' | 'TooMany' | 'Duplicate';
  /** `spec.ports[0].port`, `metadata.name` */
  readonly field: string;
  readonly detail?: string;
  readonly badValue?: unknown;
  readonly supported?: readonly unknown[];
}

const CAUSE_REASONS: Record<FieldError['type'], string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Duplicate: 'FieldValueDuplicate',
};

const TYPE_WORDS: Record<FieldError['type'], string> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  TooLong: 'Too long',
  TooMany: 'Too many',
  Duplicate: 'Duplicate value',
};

function formatFieldError(error: FieldError): string {
  const showsValue = error.type === 'Invalid' || error.type === 'NotSupported' || error.type === 'Duplicate';
  let text = TYPE_WORDS[error.type];
  if (showsValue) text += `: ${JSON.stringify(error.badValue ?? null)}`;
  if (error.supported)
    text += `: supported values: ${error.supported.map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.detail) text += `: ${error.detail}`;
  return error.field ? `${error.field}: ${text}` : text;
}

/**
 * 422 Invalid for `kind` (`Pod`, `VirtualService`) in `group`: `Pod "web" is invalid: spec.x: ...`,
 * several errors in brackets, every one also a `cause` with its field path.
 */
export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): ApiError {
  const messages = errors.map(formatFieldError);
  const summary = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
  const causes: StatusCause[] = errors.map((error, index) => ({
    reason: CAUSE_REASONS[error.type],
    message: (messages[index] ?? '').slice(error.field ? error.field.length + 2 : 0),
    field: error.field,
  }));
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return apiError('Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes,
  });
}
