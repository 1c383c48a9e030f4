import { KubeError } from './errors.js';

/**
 * Where a resource lives in the REST API: the core group under `/api/v1`, every other group under
 * `/apis/<group>/<version>`, namespaced resources below `namespaces/<ns>`. Informers and generic
 * clients need these paths (client-node's `makeInformer` takes a path), and they are easy to get
 * subtly wrong (`/api/v1` vs `/apis/v1`), so they are built in one place.
 */
export interface GroupVersion {
  /** `''` for the core (legacy) group. */
  readonly group: string;
  readonly version: string;
}

export interface GroupVersionResource extends GroupVersion {
  /** The plural, lower-case resource name: `pods`, `virtualservices`. */
  readonly resource: string;
}

export interface GroupVersionKind extends GroupVersion {
  readonly kind: string;
}

export interface ResourcePathOptions {
  readonly namespace?: string;
  readonly name?: string;
  /** `status`, `token`, ... */
  readonly subresource?: string;
}

/** `v1` → core group; `networking.istio.io/v1` → that group. */
export function parseApiVersion(apiVersion: string): GroupVersion {
  const parts = apiVersion.split('/');
  if (parts.length === 1 && parts[0]) return { group: '', version: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { group: parts[0], version: parts[1] };
  throw new KubeError('KUBE_INVALID_API_VERSION', `"${apiVersion}" is not <version> or <group>/<version>`);
}

export function formatApiVersion({ group, version }: GroupVersion): string {
  return group === '' ? version : `${group}/${version}`;
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(gv: GroupVersion): string {
  return gv.group === '' ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;
}

/**
 * The collection or object path: `resourcePath({ group: '', version: 'v1', resource: 'pods' },
 * { namespace: 'default', name: 'web' })` → `/api/v1/namespaces/default/pods/web`.
 */
export function resourcePath(gvr: GroupVersionResource, options: ResourcePathOptions = {}): string {
  let path = groupVersionPath(gvr);
  if (options.namespace) path += `/namespaces/${encodeURIComponent(options.namespace)}`;
  path += `/${gvr.resource}`;
  if (options.name) path += `/${encodeURIComponent(options.name)}`;
  else if (options.subresource) {
    throw new KubeError('KUBE_INVALID_ARGUMENT', `subresource "${options.subresource}" needs an object name`);
  }
  if (options.subresource) path += `/${options.subresource}`;
  return path;
}
