/**
 * Stable error codes of libs/kube. Callers branch on `code`, never on message text; messages say
 * what is wrong in words an operator can act on.
 */
export const KUBE_ERROR_CODES = {
  /** A label selector string or object does not follow Kubernetes' selector grammar. */
  KUBE_INVALID_LABEL_SELECTOR: 'invalid label selector',
  /** A JSON patch (RFC 6902) is malformed or one of its operations cannot be applied. */
  KUBE_JSON_PATCH_FAILED: 'JSON patch cannot be applied',
  /** A merge patch (RFC 7386) is not a JSON object where one is required. */
  KUBE_MERGE_PATCH_FAILED: 'merge patch cannot be applied',
  /** An apiVersion string is not `<version>` or `<group>/<version>`. */
  KUBE_INVALID_API_VERSION: 'invalid apiVersion',
  /** A caller passed an argument outside its domain (a subresource without an object name, ...). */
  KUBE_INVALID_ARGUMENT: 'invalid argument',
} as const;

export type KubeErrorCode = keyof typeof KUBE_ERROR_CODES;

export class KubeError extends Error {
  override readonly name: string = 'KubeError';

  constructor(
    readonly code: KubeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `error` is a `KubeError`, optionally with the given code. */
export function isKubeError(error: unknown, code?: KubeErrorCode): error is KubeError {
  return error instanceof KubeError && (code === undefined || error.code === code);
}
