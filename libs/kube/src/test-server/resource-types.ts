import type { JsonSchemaProps } from './openapi-schema.js';

/**
 * What the server knows about one served (group, version, resource): the facts discovery publishes
 * and the REST handlers need. Built-in types come from a table; CRDs add and remove theirs at run
 * time. All versions of one resource share a `storage` key (`<group>/<resource>`): objects are stored
 * once and served in each version by rewriting `apiVersion`, as CRDs with conversion `None` are.
 */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural, lower case: `pods`. */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: readonly SubresourceType[];
  readonly storage: string;
  /** `virtual` resources (TokenReview) are create-only requests that are never stored. */
  readonly origin: 'builtin' | 'virtual' | 'crd';
  /** Whether `metadata.generation` is kept (workloads, CRDs, webhook configurations, custom resources). */
  readonly tracksGeneration: boolean;
  /** Field paths usable in `fieldSelector` besides `metadata.name` and `metadata.namespace`. */
  readonly selectableFields: readonly string[];
  /** `openAPIV3Schema` of this version (CRDs). */
  readonly schema?: JsonSchemaProps;
}

export interface SubresourceType {
  readonly name: string;
  readonly kind: string;
  readonly verbs: readonly string[];
  /** For subresources of another group's kind (`serviceaccounts/token` → `authentication.k8s.io`). */
  readonly group?: string;
  readonly version?: string;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const STATUS_SUBRESOURCE: SubresourceType = {
  name: 'status',
  kind: '',
  verbs: ['get', 'patch', 'update'],
};

export function apiVersionOf(type: { group: string; version: string }): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

export function hasStatusSubresource(type: ResourceType): boolean {
  return type.subresources.some((subresource) => subresource.name === 'status');
}

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * apimachinery's `CompareKubeAwareVersionStrings` as a sort order: GA before beta before alpha,
 * higher numbers first, then anything else alphabetically. It picks a group's preferred version.
 */
export function compareKubeVersions(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (!ma || !mb) return ma ? -1 : mb ? 1 : a.localeCompare(b);
  const stability = (m: RegExpExecArray) => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  if (stability(ma) !== stability(mb)) return stability(mb) - stability(ma);
  if (ma[1] !== mb[1]) return Number(mb[1]) - Number(ma[1]);
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

/** Every served resource type, indexed for routing and discovery. */
export class ResourceCatalog {
  private types: ResourceType[] = [];

  add(types: readonly ResourceType[]): void {
    for (const type of types) {
      this.types = this.types.filter(
        (known) =>
          !(known.group === type.group && known.version === type.version && known.resource === type.resource),
      );
      this.types.push(type);
    }
  }

  /** Removes every version of the resources stored under `storage`. */
  removeStorage(storage: string): void {
    this.types = this.types.filter((type) => type.storage !== storage);
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  /** Named groups (not the core group) in the order their first type was added. */
  groups(): string[] {
    return [...new Set(this.types.map((type) => type.group).filter((group) => group !== ''))];
  }

  /** Served versions of `group`, preferred first. */
  versions(group: string): string[] {
    const versions = new Set(this.types.filter((type) => type.group === group).map((type) => type.version));
    return [...versions].sort(compareKubeVersions);
  }

  resources(group: string, version: string): ResourceType[] {
    return this.types.filter((type) => type.group === group && type.version === version);
  }
}
