import { apiVersionOf, type ResourceCatalog, type ResourceType } from './resource-types.js';

/**
 * Discovery documents, the legacy (non-aggregated) form every client understands: `/api` lists the
 * core versions, `/apis` the groups with their preferred versions, `/api/v1` and
 * `/apis/<group>/<version>` the resources with kind, scope, verbs, short names and subresources
 * (`pods/status`, `serviceaccounts/token`). Clients that ask for aggregated discovery get this form
 * with `application/json`, which they accept as "not aggregated". Built from the live catalog, so
 * CRD resources appear and disappear with their CRDs.
 */
export function versionDocument(kubernetesVersion: string): Record<string, string> {
  const [major = '1', minor = '0'] = kubernetesVersion.split('.');
  return {
    major,
    minor,
    gitVersion: `v${kubernetesVersion}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function apiResource(type: ResourceType): Record<string, unknown> {
  return {
    name: type.resource,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: [...type.verbs],
    ...(type.shortNames.length > 0 ? { shortNames: [...type.shortNames] } : {}),
    ...(type.categories.length > 0 ? { categories: [...type.categories] } : {}),
  };
}

function subresourceEntries(type: ResourceType): Record<string, unknown>[] {
  return type.subresources.map((subresource) => ({
    name: `${type.resource}/${subresource.name}`,
    singularName: '',
    namespaced: type.namespaced,
    ...(subresource.group !== undefined ? { group: subresource.group, version: subresource.version } : {}),
    kind: subresource.kind,
    verbs: [...subresource.verbs],
  }));
}

export function resourceList(
  catalog: ResourceCatalog,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = catalog.resources(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: types.flatMap((type) => [apiResource(type), ...subresourceEntries(type)]),
  };
}

export function coreVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDocument(catalog: ResourceCatalog, name: string): Record<string, unknown> {
  const versions = catalog.versions(name).map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions, preferredVersion: versions[0] };
}

export function groupList(catalog: ResourceCatalog): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: catalog.groups().map((name) => groupDocument(catalog, name)),
  };
}

export function group(catalog: ResourceCatalog, name: string): Record<string, unknown> | undefined {
  if (catalog.versions(name).length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(catalog, name) };
}
