import type { ResourceCatalog } from './resource-types.js';

/**
 * Maps a request path onto the Kubernetes REST layout:
 *   /version, /healthz, /livez, /readyz, OIDC discovery          (no token needed)
 *   /api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v>                (discovery)
 *   /openapi/v3, /openapi/v3/api/v1, /openapi/v3/apis/<g>/<v>      (OpenAPI discovery)
 *   /api/v1[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]
 *   /apis/<g>/<v>[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]
 * `/api/v1/namespaces/<x>/<y>` is ambiguous (object `<x>` of namespaces with subresource `<y>`, or
 * resource `<y>` in namespace `<x>`); like kube-apiserver it is the latter when `<y>` is a
 * namespaced resource of that group version.
 */
export type Route =
  | { readonly kind: 'open'; readonly endpoint: 'version' | 'health' | 'openid-configuration' | 'jwks' }
  | { readonly kind: 'core-versions' }
  | { readonly kind: 'group-list' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'resource-list'; readonly group: string; readonly version: string }
  | { readonly kind: 'openapi-root' }
  | { readonly kind: 'openapi-group-version'; readonly group: string; readonly version: string }
  | ({ readonly kind: 'resource' } & ResourceRoute)
  | { readonly kind: 'unknown' };

export interface ResourceRoute {
  readonly group: string;
  readonly version: string;
  readonly namespace?: string;
  readonly resource: string;
  readonly name?: string;
  readonly subresource?: string;
}

const HEALTH = new Set(['healthz', 'livez', 'readyz']);

function resourceRoute(catalog: ResourceCatalog, group: string, version: string, rest: string[]): Route {
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    catalog.find(group, version, rest[2] ?? '')?.namespaced
  ) {
    if (rest.length > 5) return { kind: 'unknown' };
    const [, namespace, resource, name, subresource] = rest as [string, string, string, string?, string?];
    return {
      kind: 'resource',
      group,
      version,
      namespace,
      resource,
      ...(name !== undefined ? { name } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
    };
  }
  if (rest.length === 0 || rest.length > 3) return { kind: 'unknown' };
  const [resource, name, subresource] = rest as [string, string?, string?];
  return {
    kind: 'resource',
    group,
    version,
    resource,
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

export function routeRequest(catalog: ResourceCatalog, pathname: string): Route {
  let parts: string[];
  try {
    parts = pathname
      .split('/')
      .filter((part) => part !== '')
      .map(decodeURIComponent);
  } catch {
    return { kind: 'unknown' };
  }
  const [first, second = '', third = ''] = parts;
  if (first === 'version' && parts.length === 1) return { kind: 'open', endpoint: 'version' };
  if (first !== undefined && HEALTH.has(first)) return { kind: 'open', endpoint: 'health' };
  if (first === '.well-known' && second === 'openid-configuration')
    return { kind: 'open', endpoint: 'openid-configuration' };
  if (first === 'openid' && second === 'v1' && third === 'jwks') return { kind: 'open', endpoint: 'jwks' };
  if (first === 'openapi' && second === 'v3') {
    const [, , root, group = '', version = ''] = parts;
    if (parts.length === 2) return { kind: 'openapi-root' };
    if (root === 'api' && parts.length === 4)
      return { kind: 'openapi-group-version', group: '', version: group };
    if (root === 'apis' && parts.length === 5) return { kind: 'openapi-group-version', group, version };
    return { kind: 'unknown' };
  }
  if (first === 'api') {
    if (parts.length === 1) return { kind: 'core-versions' };
    if (parts.length === 2) return { kind: 'resource-list', group: '', version: second };
    return resourceRoute(catalog, '', second, parts.slice(2));
  }
  if (first === 'apis') {
    if (parts.length === 1) return { kind: 'group-list' };
    if (parts.length === 2) return { kind: 'group', group: second };
    if (parts.length === 3) return { kind: 'resource-list', group: second, version: third };
    return resourceRoute(catalog, second, third, parts.slice(3));
  }
  return { kind: 'unknown' };
}
