import { randomUUID } from 'node:crypto';

import { isQualifiedName, isValidLabelValue } from '../label-selector.js';
import { jsonEqual } from '../object-patches.js';
import type { FieldError } from './api-errors.js';
import { contentOf, isPlainObject, kubeTimestamp, type KubeObject } from './kube-object.js';
import { hasStatusSubresource, type ResourceType } from './resource-types.js';

/**
 * The metadata rules every kind shares (apimachinery's `rest.BeforeCreate`/`BeforeUpdate` and
 * `ValidateObjectMeta`): server-owned fields are set by the server and cannot be changed by a
 * client, names and labels are validated, `generateName` gets a random suffix, and `generation`
 * counts changes to the desired state (not to metadata, nor to status when status is a subresource).
 */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_RULE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS_1035_RULE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

// The alphabet and length of apiserver's name generator (no vowels, so no words).
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return suffix;
}

/** Names a create that only has `generateName`, as the server does after mutating admission. */
export function generateNameIfNeeded(object: KubeObject): void {
  const { name, generateName } = object.metadata;
  if (!name && generateName) object.metadata.name = `${generateName.slice(0, 58)}${randomSuffix()}`;
}

/** Sets the server-owned metadata of a new object. */
export function initializeMetadata(
  object: KubeObject,
  type: ResourceType,
  namespace: string | undefined,
): void {
  const metadata = object.metadata;
  if (type.namespaced) metadata.namespace = namespace;
  else delete metadata.namespace;
  metadata.uid = randomUUID();
  metadata.creationTimestamp = kubeTimestamp();
  if (type.tracksGeneration) metadata.generation = 1;
  else delete metadata.generation;
  delete metadata.resourceVersion;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
}

/** Copies the fields a client may not change from the stored object into its replacement. */
export function preserveServerMetadata(next: KubeObject, current: KubeObject): void {
  for (const field of [
    'uid',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'generation',
  ] as const) {
    if (current.metadata[field] === undefined) delete next.metadata[field];
    else next.metadata[field] = current.metadata[field] as never;
  }
  next.metadata.namespace = current.metadata.namespace;
  if (next.metadata.namespace === undefined) delete next.metadata.namespace;
}

/** Increments `generation` when the desired state changed. */
export function bumpGenerationIfChanged(next: KubeObject, current: KubeObject, type: ResourceType): void {
  if (!type.tracksGeneration) return;
  const ignoreStatus = hasStatusSubresource(type);
  if (!jsonEqual(contentOf(next, ignoreStatus), contentOf(current, ignoreStatus))) {
    next.metadata.generation = (current.metadata.generation ?? 0) + 1;
  }
}

function validateName(name: string, type: ResourceType): FieldError | undefined {
  const [pattern, rule, limit] =
    type.group === '' && type.resource === 'namespaces'
      ? [DNS_LABEL, LABEL_RULE, 63]
      : type.group === '' && type.resource === 'services'
        ? [DNS_1035_LABEL, DNS_1035_RULE, 63]
        : [DNS_SUBDOMAIN, SUBDOMAIN_RULE, 253];
  if (name.length > limit) {
    return {
      type: 'Invalid',
      field: 'metadata.name',
      badValue: name,
      detail: `must be no more than ${limit} characters`,
    };
  }
  if (!pattern.test(name)) return { type: 'Invalid', field: 'metadata.name', badValue: name, detail: rule };
  return undefined;
}

/**
 * Equal but for the time stamps of field ownership: then there is nothing to write (no new
 * resourceVersion, no watch event). A change of ownership alone (an apply that takes over
 * fields without changing them) is a write.
 */
export function isUnchanged(next: KubeObject, current: KubeObject): boolean {
  const strip = (object: KubeObject) => {
    const { managedFields, resourceVersion: _resourceVersion, ...metadata } = object.metadata;
    const ownership = (managedFields ?? []).map(({ time: _time, ...entry }) => entry);
    return { ...object, metadata: { ...metadata, managedFields: ownership } };
  };
  return jsonEqual(strip(next), strip(current));
}

/** `ValidateObjectMeta`: name, labels, annotation keys. */
export function validateObjectMeta(object: KubeObject, type: ResourceType): FieldError[] {
  const errors: FieldError[] = [];
  const { name, labels, annotations, finalizers } = object.metadata;
  if (!name) {
    errors.push({ type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' });
  } else {
    const problem = validateName(name, type);
    if (problem) errors.push(problem);
  }
  for (const [key, value] of Object.entries(isPlainObject(labels) ? labels : {})) {
    if (!isQualifiedName(key)) {
      errors.push({
        type: 'Invalid',
        field: 'metadata.labels',
        badValue: key,
        detail: 'name part must be a valid label key',
      });
    } else if (typeof value !== 'string' || !isValidLabelValue(value)) {
      errors.push({
        type: 'Invalid',
        field: `metadata.labels`,
        badValue: value,
        detail: 'a valid label must be an empty string or consist of alphanumeric characters',
      });
    }
  }
  for (const [key, value] of Object.entries(isPlainObject(annotations) ? annotations : {})) {
    if (!isQualifiedName(key.toLowerCase())) {
      errors.push({
        type: 'Invalid',
        field: 'metadata.annotations',
        badValue: key,
        detail: 'name part must be a valid annotation key',
      });
    } else if (typeof value !== 'string') {
      errors.push({
        type: 'Invalid',
        field: `metadata.annotations.${key}`,
        badValue: value,
        detail: 'must be a string',
      });
    }
  }
  if (finalizers !== undefined && !Array.isArray(finalizers)) {
    errors.push({
      type: 'Invalid',
      field: 'metadata.finalizers',
      badValue: finalizers,
      detail: 'must be a list',
    });
  }
  return errors;
}
