import { isKubeError } from '../errors.js';
import { matchesLabelRequirements, parseLabelSelector, type LabelRequirement } from '../label-selector.js';
import { badRequest } from './api-errors.js';
import { valueAtPath, type KubeObject } from './kube-object.js';
import type { ResourceType } from './resource-types.js';

/**
 * Which objects a list, watch or deletecollection is about: a namespace (or all), a label selector
 * and a field selector, parsed once from the query and then applied to every candidate object.
 */
export interface ObjectFilter {
  readonly namespace: string | undefined;
  readonly labels: readonly LabelRequirement[];
  readonly fields: readonly FieldRequirement[];
}

export function parseObjectFilter(
  query: URLSearchParams,
  type: ResourceType,
  namespace?: string,
): ObjectFilter {
  let labels: LabelRequirement[];
  try {
    labels = parseLabelSelector(query.get('labelSelector') ?? '');
  } catch (error) {
    if (isKubeError(error)) throw badRequest(error.message);
    throw error;
  }
  return { namespace, labels, fields: parseFieldSelector(query.get('fieldSelector') ?? '', type) };
}

export function matchesFilter(filter: ObjectFilter, object: KubeObject): boolean {
  return (
    (filter.namespace === undefined || object.metadata.namespace === filter.namespace) &&
    matchesLabelRequirements(filter.labels, object.metadata.labels) &&
    matchesFieldSelector(filter.fields, object)
  );
}

/**
 * `?fieldSelector=metadata.name=web,status.phase!=Running`: equality requirements on a fixed set of
 * fields per type (`metadata.name` and `metadata.namespace` for all, a few more for Pods, Secrets,
 * Events...). A field the type does not support is a 400, as it is on kube-apiserver, rather than a
 * filter that silently matches nothing.
 */
export interface FieldRequirement {
  readonly field: string;
  readonly equals: boolean;
  readonly value: string;
}

const REQUIREMENT = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/;

export function parseFieldSelector(selector: string, type: ResourceType): FieldRequirement[] {
  if (selector.trim() === '') return [];
  const supported = ['metadata.name', 'metadata.namespace', ...type.selectableFields];
  return selector.split(',').map((text) => {
    const [, name, operator, value] = REQUIREMENT.exec(text.trim()) ?? [];
    if (name === undefined || value === undefined) {
      throw badRequest(`invalid field selector: "${text}" is not <field>=<value> or <field>!=<value>`);
    }
    const field = name.trim();
    if (!supported.includes(field)) {
      throw badRequest(
        `"${field}" is not a known field selector: only ${supported.map((f) => `"${f}"`).join(', ')}`,
      );
    }
    return { field, equals: operator !== '!=', value: value.trim() };
  });
}

/** Field values compare as strings; a missing field is the empty string, as in apimachinery. */
export function matchesFieldSelector(requirements: readonly FieldRequirement[], object: KubeObject): boolean {
  return requirements.every(({ field, equals, value }) => {
    const actual = valueAtPath(object, field);
    const text = actual === undefined || actual === null ? '' : String(actual);
    return (text === value) === equals;
  });
}
