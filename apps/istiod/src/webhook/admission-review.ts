import type { JsonPatchOperation } from '@mesh/kube';

/**
 * The `admission.k8s.io/v1` AdmissionReview the API server sends to istiod's webhooks, read
 * defensively (the body is untrusted until the request is understood), and the responses istiod
 * gives: allowed (with a JSON Patch for `/inject`) or denied with a status message the API server
 * shows to the user as `admission webhook "<name>" denied the request: <message>`.
 */

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  namespace: string;
  name: string;
  operation: string;
  object: Record<string, unknown> | undefined;
  dryRun: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patch?: string;
  patchType?: 'JSONPatch';
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
}

/** The request is not an AdmissionReview istiod can answer (HTTP 400 with the reason). */
export class AdmissionReviewError extends Error {
  override readonly name = 'AdmissionReviewError';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function parseAdmissionReview(body: string): AdmissionRequest {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (err) {
    throw new AdmissionReviewError(`the body is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(review) || review['kind'] !== 'AdmissionReview')
    throw new AdmissionReviewError('the body is not an AdmissionReview');
  if (review['apiVersion'] !== ADMISSION_API_VERSION)
    throw new AdmissionReviewError(
      `AdmissionReview ${str(review['apiVersion'])} is not served; only ${ADMISSION_API_VERSION} (set admissionReviewVersions: [v1])`,
    );
  const request = review['request'];
  if (!isObject(request) || str(request['uid']) === '')
    throw new AdmissionReviewError('the AdmissionReview has no request.uid');
  const kind = isObject(request['kind']) ? request['kind'] : {};
  const object = request['object'];
  return {
    uid: str(request['uid']),
    kind: { group: str(kind['group']), version: str(kind['version']), kind: str(kind['kind']) },
    namespace: str(request['namespace']),
    name: str(request['name']),
    operation: str(request['operation']),
    object: isObject(object) ? object : undefined,
    dryRun: request['dryRun'] === true,
  };
}

export function allowed(uid: string, patch?: readonly JsonPatchOperation[]): AdmissionResponse {
  if (patch === undefined || patch.length === 0) return { uid, allowed: true };
  return {
    uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
  };
}

export function denied(uid: string, message: string, code = 400): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code, message, reason: code === 400 ? 'BadRequest' : 'InternalError' },
  };
}

export function reviewResponse(response: AdmissionResponse): string {
  return JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response });
}
