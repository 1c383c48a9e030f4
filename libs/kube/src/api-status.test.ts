import { describe, expect, it } from 'vitest';

import {
  apiErrorReason,
  apiStatusOf,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  isResourceExpired,
  retryAfterOf,
  retryingApiCall,
} from './api-status.js';
import { formatApiVersion, parseApiVersion, resourcePath } from './resource-paths.js';

/** client-node's ApiException carries the HTTP code and the body text. */
function apiException(code: number, body: unknown) {
  return Object.assign(new Error(`HTTP-Code: ${code}`), {
    code,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const status = (code: number, reason: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  reason,
  code,
});

describe('reading Status from client errors', () => {
  it('parses the Status body of an ApiException', () => {
    const error = apiException(404, { ...status(404, 'NotFound'), message: 'pods "x" not found' });
    expect(apiStatusOf(error)).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "x" not found',
    });
    expect(apiErrorReason(error)).toBe('NotFound');
    expect(isNotFound(error)).toBe(true);
  });

  it('keeps the code when the body is not a Status, and ignores errors that are not from the server', () => {
    expect(apiStatusOf(apiException(502, '<html>bad gateway</html>'))).toMatchObject({ code: 502 });
    expect(apiStatusOf(new Error('connect ECONNREFUSED'))).toBeUndefined();
    expect(apiStatusOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });

  it('tells a conflict from an already-exists (both 409)', () => {
    expect(isConflict(apiException(409, status(409, 'Conflict')))).toBe(true);
    expect(isConflict(apiException(409, status(409, 'AlreadyExists')))).toBe(false);
    expect(isAlreadyExists(apiException(409, status(409, 'AlreadyExists')))).toBe(true);
    expect(isResourceExpired(apiException(410, status(410, 'Expired')))).toBe(true);
    expect(isInvalid(apiException(422, status(422, 'Invalid')))).toBe(true);
  });
});

describe('retrying what the API server asks to retry', () => {
  // kube-apiserver's answer while a just established CRD's watch cache fills (cacher.go).
  const initializing = apiException(429, {
    ...status(429, 'TooManyRequests'),
    message: 'storage is (re)initializing',
    details: { retryAfterSeconds: 0.1 },
  });

  it('retries 429 and 503 with the Retry-After the server gives, and nothing else', () => {
    expect(retryAfterOf(initializing)).toBe(0.1);
    expect(retryAfterOf(apiException(503, status(503, 'ServiceUnavailable')))).toBe(1);
    expect(retryAfterOf(apiException(403, status(403, 'Forbidden')))).toBeUndefined();
    expect(retryAfterOf(new Error('connect ECONNREFUSED'))).toBeUndefined();
  });

  it('answers once the server does, and gives up after its budget', async () => {
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls < 3) throw initializing;
      return 'listed';
    };
    await expect(retryingApiCall(flaky)).resolves.toBe('listed');
    expect(calls).toBe(3);
    await expect(retryingApiCall(() => Promise.reject(initializing), 250)).rejects.toBe(initializing);
    const forbidden = apiException(403, status(403, 'Forbidden'));
    await expect(retryingApiCall(() => Promise.reject(forbidden))).rejects.toBe(forbidden);
  });
});

describe('resource paths', () => {
  it('builds core and group paths, namespaced or not, with subresources', () => {
    expect(
      resourcePath(
        { group: '', version: 'v1', resource: 'pods' },
        { namespace: 'default', name: 'web', subresource: 'status' },
      ),
    ).toBe('/api/v1/namespaces/default/pods/web/status');
    expect(resourcePath({ group: 'networking.istio.io', version: 'v1', resource: 'virtualservices' })).toBe(
      '/apis/networking.istio.io/v1/virtualservices',
    );
    expect(() =>
      resourcePath({ group: '', version: 'v1', resource: 'pods' }, { subresource: 'status' }),
    ).toThrow();
  });

  it('parses and formats apiVersion', () => {
    expect(parseApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(parseApiVersion('security.istio.io/v1beta1')).toEqual({
      group: 'security.istio.io',
      version: 'v1beta1',
    });
    expect(() => parseApiVersion('a/b/c')).toThrow(/not <version> or <group>\/<version>/);
    expect(formatApiVersion({ group: 'apps', version: 'v1' })).toBe('apps/v1');
  });
});
