/**
 * Errors of sidecar injection, with stable codes (callers branch on `code`): an injector ConfigMap
 * that cannot be read, or a pod whose injection annotations are invalid. The webhook answers the
 * latter with a refusal naming the annotation, as Istio's `validate.go` does.
 */
export const INJECTION_ERROR_CODES = {
  /** The `config` or `values` of the injector ConfigMap (or files standing for them) are invalid. */
  INJECTION_CONFIG_INVALID: 'invalid injector configuration',
  /** A pod annotation the injector honours has an invalid value. */
  INJECTION_ANNOTATION_INVALID: 'invalid injection annotation',
  /** The object is not a pod (or has no pod template) the injector can work on. */
  INJECTION_OBJECT_INVALID: 'not an injectable object',
} as const;

export type InjectionErrorCode = keyof typeof INJECTION_ERROR_CODES;

export class InjectionError extends Error {
  override readonly name = 'InjectionError';

  constructor(
    readonly code: InjectionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True when `error` is an `InjectionError`, optionally with the given code. */
export function isInjectionError(error: unknown, code?: InjectionErrorCode): error is InjectionError {
  return error instanceof InjectionError && (code === undefined || error.code === code);
}
