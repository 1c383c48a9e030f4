import { createHash } from 'node:crypto';

import { apiVersionOf, type ResourceCatalog, type ResourceType } from './resource-types.js';

/**
 * A minimal OpenAPI v3 discovery (`/openapi/v3` and one document per group version) listing the
 * REST paths and operations of every served resource with its `x-kubernetes-group-version-kind`
 * and the `fieldValidation`/`fieldManager`/`dryRun` query parameters. It carries no schemas: its job
 * is to tell kubectl that the server validates fields itself, so `kubectl apply`/`create` work
 * without `--validate=false` (kubectl otherwise insists on downloading schemas to validate
 * client-side). `kubectl explain` therefore has nothing to explain.
 */
type Operation = Record<string, unknown>;

const WRITE_PARAMETERS = ['fieldValidation', 'fieldManager', 'dryRun'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string', uniqueItems: true },
}));

function operation(type: ResourceType, action: string, write: boolean): Operation {
  return {
    operationId: `${action}${type.kind}`,
    ...(write ? { parameters: WRITE_PARAMETERS } : {}),
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
  };
}

function pathsOf(type: ResourceType): Record<string, Record<string, Operation>> {
  const prefix = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const collection = `${prefix}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.resource}`;
  if (type.origin === 'virtual') return { [collection]: { post: operation(type, 'post', true) } };
  return {
    [collection]: { get: operation(type, 'list', false), post: operation(type, 'post', true) },
    [`${collection}/{name}`]: {
      get: operation(type, 'get', false),
      put: operation(type, 'put', true),
      patch: operation(type, 'patch', true),
      delete: operation(type, 'delete', true),
    },
  };
}

export function openApiGroupVersion(
  catalog: ResourceCatalog,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = catalog.resources(group, version);
  if (types.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: apiVersionOf({ group, version }) },
    paths: Object.assign({}, ...types.map(pathsOf)),
    components: { schemas: {} },
  };
}

function groupVersionKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The index: one entry per group version, its URL carrying a content hash as kube-apiserver's does. */
export function openApiRoot(catalog: ResourceCatalog): Record<string, unknown> {
  const groupVersions: [string, string][] = [
    ...catalog.versions('').map((version): [string, string] => ['', version]),
    ...catalog
      .groups()
      .flatMap((group) => catalog.versions(group).map((version): [string, string] => [group, version])),
  ];
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, version] of groupVersions) {
    const hash = createHash('sha256')
      .update(JSON.stringify(openApiGroupVersion(catalog, group, version)))
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    const key = groupVersionKey(group, version);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}
