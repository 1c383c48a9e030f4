import type { FieldError } from './api-errors.js';
import { isPlainObject, kubeTimestamp, type KubeObject } from './kube-object.js';
import type { JsonSchemaProps } from './openapi-schema.js';
import { ALL_VERBS, STATUS_SUBRESOURCE, type ResourceType } from './resource-types.js';

/**
 * CustomResourceDefinitions as kube-apiserver's apiextensions server treats them: validated and
 * defaulted on write, then every served version becomes a resource type (discovery, REST, watch)
 * with its schema and status subresource. The server marks a CRD `NamesAccepted` and `Established`
 * in the same write instead of a moment later, so `kubectl wait --for condition=established` and
 * clients that poll for the condition see it at once.
 */
interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonSchemaProps };
  subresources?: { status?: unknown; scale?: unknown };
  selectableFields?: { jsonPath?: string }[];
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: {
    plural?: string;
    singular?: string;
    kind?: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions?: CrdVersion[];
  conversion?: { strategy?: string };
}

function specOf(crd: KubeObject): CrdSpec {
  return isPlainObject(crd['spec']) ? (crd['spec'] as CrdSpec) : {};
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Fills in what the API server defaults (`singular`, `listKind`, conversion strategy). */
export function defaultCrd(crd: KubeObject): void {
  const spec = specOf(crd);
  if (spec.names?.kind) {
    spec.names.singular ??= spec.names.kind.toLowerCase();
    spec.names.listKind ??= `${spec.names.kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
}

export function validateCrd(crd: KubeObject): FieldError[] {
  const spec = specOf(crd);
  const errors: FieldError[] = [];
  const { group, names, scope, versions } = spec;
  if (!group) errors.push({ type: 'Required', field: 'spec.group' });
  else if (!DNS_SUBDOMAIN.test(group) || !group.includes('.')) {
    errors.push({
      type: 'Invalid',
      field: 'spec.group',
      badValue: group,
      detail: 'should be a domain with at least one dot',
    });
  }
  if (!names?.plural) errors.push({ type: 'Required', field: 'spec.names.plural' });
  else if (!DNS_LABEL.test(names.plural)) {
    errors.push({
      type: 'Invalid',
      field: 'spec.names.plural',
      badValue: names.plural,
      detail: 'a lowercase RFC 1123 label',
    });
  }
  if (!names?.kind) errors.push({ type: 'Required', field: 'spec.names.kind' });
  if (group && names?.plural && crd.metadata.name !== `${names.plural}.${group}`) {
    errors.push({
      type: 'Invalid',
      field: 'metadata.name',
      badValue: crd.metadata.name,
      detail: 'must be spec.names.plural+"."+spec.group',
    });
  }
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    errors.push({
      type: 'NotSupported',
      field: 'spec.scope',
      badValue: scope ?? '',
      supported: ['Cluster', 'Namespaced'],
    });
  }
  if (!Array.isArray(versions) || versions.length === 0) {
    errors.push({
      type: 'Invalid',
      field: 'spec.versions',
      badValue: versions ?? null,
      detail: 'must have exactly one version marked as storage version',
    });
    return errors;
  }
  if (versions.filter((version) => version.storage === true).length !== 1) {
    errors.push({
      type: 'Invalid',
      field: 'spec.versions',
      badValue: versions.map((v) => v.name),
      detail: 'must have exactly one version marked as storage version',
    });
  }
  versions.forEach((version, index) => {
    if (!version.name) errors.push({ type: 'Required', field: `spec.versions[${index}].name` });
    if (!isPlainObject(version.schema?.openAPIV3Schema)) {
      errors.push({
        type: 'Required',
        field: `spec.versions[${index}].schema.openAPIV3Schema`,
        detail: 'schemas are required',
      });
    }
  });
  return errors;
}

/** The resource types a CRD that passed `validateCrd` serves: one per served version. */
export function resourceTypesOfCrd(crd: KubeObject): ResourceType[] {
  const { group = '', names = {}, scope, versions = [] } = specOf(crd);
  const kind = names.kind ?? '';
  return versions
    .filter((version) => version.served !== false)
    .map((version) => ({
      group,
      version: version.name ?? '',
      resource: names.plural ?? '',
      singular: names.singular ?? kind.toLowerCase(),
      kind,
      listKind: names.listKind ?? `${kind}List`,
      namespaced: scope === 'Namespaced',
      verbs: ALL_VERBS,
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      subresources: version.subresources?.status !== undefined ? [{ ...STATUS_SUBRESOURCE, kind }] : [],
      storage: `${group}/${names.plural}`,
      origin: 'crd',
      tracksGeneration: true,
      selectableFields: (version.selectableFields ?? []).map((field) =>
        (field.jsonPath ?? '').replace(/^\./, ''),
      ),
      ...(version.schema?.openAPIV3Schema ? { schema: version.schema.openAPIV3Schema } : {}),
    }));
}

/** The status the apiextensions controllers would write: names accepted, established, stored versions. */
export function establishedCrdStatus(crd: KubeObject, previous?: KubeObject): Record<string, unknown> {
  const { names, versions } = specOf(crd);
  const storageVersion = versions?.find((version) => version.storage)?.name;
  const previousStatus = isPlainObject(previous?.['status']) ? previous['status'] : {};
  const stored = new Set<string>(
    Array.isArray(previousStatus['storedVersions']) ? previousStatus['storedVersions'] : [],
  );
  if (storageVersion) stored.add(storageVersion);
  const now = kubeTimestamp();
  const previousConditions = Array.isArray(previousStatus['conditions']) ? previousStatus['conditions'] : [];
  // A condition that stays True keeps the time it became True.
  const since = (type: string) =>
    (previousConditions as { type?: string; status?: string; lastTransitionTime?: string }[]).find(
      (c) => c.type === type && c.status === 'True',
    )?.lastTransitionTime ?? now;
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: since(type),
    reason,
    message,
  });
  return {
    acceptedNames: { ...names },
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: [...stored],
  };
}
