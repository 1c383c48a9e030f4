import { badRequest, invalid, type FieldError } from './api-errors.js';
import { clone, isPlainObject, type KubeObject } from './kube-object.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';

/**
 * Objects on the wire: a request body is checked to be an object of the URL's kind and version
 * before anything else looks at it, and a stored object is presented in the version the client
 * asked for (all versions of a resource share storage, so only `apiVersion` differs).
 */
/** The object as a client of `type`'s version sees it. */
export function presentAs(object: KubeObject, type: ResourceType): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return { apiVersion: apiVersionOf(type), kind: type.kind, ...rest };
}

/** Checks a request body is an object of the URL's kind and version; returns a copy to work on. */
export function decodeBody(body: unknown, type: ResourceType, name = ''): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
  const errors: FieldError[] = [];
  if (body['kind'] !== undefined && body['kind'] !== type.kind) {
    errors.push({ type: 'Invalid', field: 'kind', badValue: body['kind'], detail: `must be ${type.kind}` });
  }
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== apiVersionOf(type)) {
    errors.push({
      type: 'Invalid',
      field: 'apiVersion',
      badValue: body['apiVersion'],
      detail: `must be ${apiVersionOf(type)}`,
    });
  }
  if (body['metadata'] !== undefined && !isPlainObject(body['metadata'])) {
    errors.push({
      type: 'Invalid',
      field: 'metadata',
      badValue: body['metadata'],
      detail: 'must be an object',
    });
  }
  const metadataName = isPlainObject(body['metadata']) ? body['metadata']['name'] : undefined;
  if (errors.length > 0)
    throw invalid(type.kind, type.group, typeof metadataName === 'string' ? metadataName : name, errors);
  return {
    ...clone(body),
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    metadata: clone(body['metadata'] ?? {}),
  } as KubeObject;
}
