import { jsonEqual } from '../object-patches.js';
import type { FieldError } from './api-errors.js';
import { clone, isPlainObject, type KubeObject } from './kube-object.js';

/**
 * What kube-apiserver does with a custom resource's `openAPIV3Schema` before storing it, in its
 * order: prune fields the schema does not declare (unless `x-kubernetes-preserve-unknown-fields`),
 * apply `default`s, then validate. Validation covers the structural-schema keywords CRDs use:
 * `type`, `nullable`, `properties`, `required`, `additionalProperties`, `items`, `enum`, string,
 * number and array bounds, `pattern`, `allOf`/`anyOf`/`oneOf`/`not`, and `x-kubernetes-int-or-string`.
 * Messages follow the real ones (`spec.port in body must be of type integer: "string"`).
 * Outside this test double: `format`, `x-kubernetes-validations` (CEL), list-type/map-type uniqueness.
 */
export interface JsonSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  required?: string[];
  items?: JsonSchemaProps;
  additionalProperties?: JsonSchemaProps | boolean;
  enum?: unknown[];
  nullable?: boolean;
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  allOf?: JsonSchemaProps[];
  anyOf?: JsonSchemaProps[];
  oneOf?: JsonSchemaProps[];
  not?: JsonSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
/** Fields of every object (and of embedded resources) that belong to the server, never pruned. */
const OBJECT_ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** Prunes, defaults and validates `object` against `schema`; returns the object to store. */
export function applyCustomResourceSchema(
  object: KubeObject,
  schema: JsonSchemaProps,
): { object: KubeObject; errors: FieldError[] } {
  const result = prune(clone(object), schema, true) as KubeObject;
  applyDefaults(result, schema);
  const errors: FieldError[] = [];
  const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...content } = result;
  validateValue(
    content,
    { ...schema, required: schema.required?.filter((f) => !OBJECT_ROOT_FIELDS.has(f)) },
    '',
    errors,
  );
  return { object: result, errors };
}

function prune(value: unknown, schema: JsonSchemaProps, isRoot: boolean): unknown {
  const items = schema.items;
  if (Array.isArray(value)) return items ? value.map((item) => prune(item, items, false)) : value;
  if (!isPlainObject(value) || schema['x-kubernetes-int-or-string']) return value;
  const keepRootFields = isRoot || schema['x-kubernetes-embedded-resource'] === true;
  const additional = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const property = schema.properties?.[key];
    if (property) value[key] = prune(value[key], property, false);
    else if (isPlainObject(additional)) value[key] = prune(value[key], additional, false);
    else if (!(keepRootFields && OBJECT_ROOT_FIELDS.has(key)) && additional !== true && !schema[PRESERVE]) {
      delete value[key];
    }
  }
  return value;
}

function applyDefaults(value: unknown, schema: JsonSchemaProps): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined && property.default !== undefined) value[key] = clone(property.default);
    if (value[key] !== undefined) applyDefaults(value[key], property);
  }
  if (isPlainObject(schema.additionalProperties)) {
    for (const key of Object.keys(value)) applyDefaults(value[key], schema.additionalProperties);
  }
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: NonNullable<JsonSchemaProps['type']>): boolean {
  const actual = jsonTypeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Appends to `errors` everything wrong with `value` at `path`. */
function validateValue(value: unknown, schema: JsonSchemaProps, path: string, errors: FieldError[]): void {
  const at = path || '<root>';
  const invalid = (detail: string) =>
    errors.push({ type: 'Invalid', field: path, badValue: value, detail: `${at} in body ${detail}` });
  if (value === null) {
    if (!schema.nullable && (schema.type || schema['x-kubernetes-int-or-string'])) {
      invalid(`must be of type ${schema.type ?? 'integer-or-string'}: "null"`);
    }
    return;
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (!hasType(value, 'integer') && !hasType(value, 'string'))
      invalid(`must be of type integer-or-string: "${jsonTypeOf(value)}"`);
  } else if (schema.type && !hasType(value, schema.type)) {
    invalid(`must be of type ${schema.type}: "${jsonTypeOf(value)}"`);
    return;
  }
  if (schema.enum && !schema.enum.some((allowed) => jsonEqual(allowed, value))) {
    errors.push({ type: 'NotSupported', field: path, badValue: value, supported: schema.enum });
  }
  if (typeof value === 'string') validateString(value, schema, invalid);
  if (typeof value === 'number') validateNumber(value, schema, invalid);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      invalid(`should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push({ type: 'TooMany', field: path, detail: `must have at most ${schema.maxItems} items` });
    }
    const items = schema.items;
    if (items) value.forEach((item, index) => validateValue(item, items, `${path}[${index}]`, errors));
  }
  if (isPlainObject(value)) validateObject(value, schema, path, errors);
  validateCombinators(value, schema, path, errors);
}

function validateString(value: string, schema: JsonSchemaProps, invalid: (detail: string) => void): void {
  if (schema.minLength !== undefined && value.length < schema.minLength)
    invalid(`should be at least ${schema.minLength} chars long`);
  if (schema.maxLength !== undefined && value.length > schema.maxLength)
    invalid(`should be at most ${schema.maxLength} chars long`);
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
    invalid(`should match '${schema.pattern}'`);
}

function validateNumber(value: number, schema: JsonSchemaProps, invalid: (detail: string) => void): void {
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
      invalid(`should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`);
    }
  }
  if (schema.maximum !== undefined) {
    if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) {
      invalid(`should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`);
    }
  }
}

function validateObject(
  value: Record<string, unknown>,
  schema: JsonSchemaProps,
  path: string,
  errors: FieldError[],
): void {
  for (const required of schema.required ?? []) {
    if (value[required] === undefined) errors.push({ type: 'Required', field: child(path, required) });
  }
  for (const [key, item] of Object.entries(value)) {
    const property = schema.properties?.[key];
    if (property) validateValue(item, property, child(path, key), errors);
    else if (isPlainObject(schema.additionalProperties)) {
      validateValue(item, schema.additionalProperties, child(path, key), errors);
    }
  }
}

function passes(value: unknown, schema: JsonSchemaProps, path: string): boolean {
  const errors: FieldError[] = [];
  validateValue(value, schema, path, errors);
  return errors.length === 0;
}

function validateCombinators(
  value: unknown,
  schema: JsonSchemaProps,
  path: string,
  errors: FieldError[],
): void {
  const at = path || '<root>';
  for (const part of schema.allOf ?? []) validateValue(value, part, path, errors);
  if (schema.anyOf && !schema.anyOf.some((part) => passes(value, part, path))) {
    errors.push({
      type: 'Invalid',
      field: path,
      badValue: value,
      detail: `${at} in body must validate at least one schema (anyOf)`,
    });
  }
  if (schema.oneOf && schema.oneOf.filter((part) => passes(value, part, path)).length !== 1) {
    errors.push({
      type: 'Invalid',
      field: path,
      badValue: value,
      detail: `${at} in body must validate one and only one schema (oneOf)`,
    });
  }
  if (schema.not && passes(value, schema.not, path)) {
    errors.push({
      type: 'Invalid',
      field: path,
      badValue: value,
      detail: `${at} in body must not validate the schema (not)`,
    });
  }
}
