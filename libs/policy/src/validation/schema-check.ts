import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';

import type { IstioKindName } from '../api-kinds.js';
import { ONE_OF_KEYWORD } from '../api/schema-helpers.js';
import { SPEC_SCHEMAS } from '../api/spec-schemas.js';
import type { FindingCollector } from './collector.js';
import { field, item, pointerToPath } from '../field-paths.js';

/**
 * Structural validation of a `spec` against its kind's TypeBox schema (or of MeshConfig against its
 * own), with TypeBox's errors translated into findings (code, field path, reason). Mutually exclusive fields (`x-mesh-one-of`) are checked in
 * a second walk once the shape is right, because JSON Schema's `oneOf` errors are unreadable.
 */

/** Compiled once per schema: compiling is far slower than checking. */
const validators = new WeakMap<TSchema, Validator>();

/** Validates `spec` (at `specPath`); returns false when the shape is wrong and semantic checks must not run. */
export function checkSpecSchema(
  kind: IstioKindName,
  spec: unknown,
  collector: FindingCollector,
  specPath = 'spec',
): boolean {
  return checkSchema(SPEC_SCHEMAS[kind], spec, collector, specPath);
}

/** Validates `value` (at `path`) against any of the API's schemas; false when the shape is wrong. */
export function checkSchema(
  schema: TSchema,
  value: unknown,
  collector: FindingCollector,
  path: string,
): boolean {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = Compile(schema) as Validator;
    validators.set(schema, validator);
  }
  if (validator.Check(value)) {
    checkOneOf(schema, value, path, collector);
    return true;
  }
  const seen = new Set<string>();
  for (const error of validator.Errors(value)) {
    for (const [code, at, message] of translate(error, path, value)) {
      const key = `${at}\u0000${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      collector.error(code, at, message);
    }
  }
  return false;
}

type Translated = [
  (
    | 'SCHEMA_TYPE'
    | 'SCHEMA_REQUIRED'
    | 'SCHEMA_UNKNOWN_FIELD'
    | 'SCHEMA_ENUM'
    | 'SCHEMA_RANGE'
    | 'SCHEMA_INVALID'
  ),
  string,
  string,
];

const RANGE_KEYWORDS: Readonly<Record<string, string>> = {
  minimum: 'must be >=',
  maximum: 'must be <=',
  minLength: 'must have at least this many characters:',
  maxLength: 'must have at most this many characters:',
  minItems: 'must have at least this many items:',
  maxItems: 'must have at most this many items:',
  minProperties: 'must have at least this many entries:',
  maxProperties: 'must have at most this many entries:',
};

function translate(error: TLocalizedValidationError, specPath: string, spec: unknown): Translated[] {
  const path = pointerToPath(specPath, error.instancePath, spec);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return (params['requiredProperties'] as string[]).map((name) => [
        'SCHEMA_REQUIRED',
        field(path, name),
        'required field is missing',
      ]);
    case 'additionalProperties':
      return (params['additionalProperties'] as string[]).map((name) => [
        'SCHEMA_UNKNOWN_FIELD',
        field(path, name),
        `unknown field ${JSON.stringify(name)}`,
      ]);
    case 'boolean':
      // The per-property echo of `additionalProperties: false`; reported above with the field's name.
      return [];
    case 'type':
      return [['SCHEMA_TYPE', path, `must be ${article(String(params['type']))}`]];
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => String(v)).join(', ');
      return [['SCHEMA_ENUM', path, `must be one of ${allowed}`]];
    }
    case 'pattern':
      return [['SCHEMA_RANGE', path, `must match ${String(params['pattern'])}`]];
    default: {
      const phrase = RANGE_KEYWORDS[error.keyword];
      if (phrase !== undefined) return [['SCHEMA_RANGE', path, `${phrase} ${String(params['limit'])}`]];
      return [['SCHEMA_INVALID', path, error.message]];
    }
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

type SchemaNode = { [key: string]: unknown };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Walks a value that already matches `schema` and reports objects setting more than one field of a group. */
function checkOneOf(schema: TSchema, value: unknown, path: string, collector: FindingCollector): void {
  const node = schema as SchemaNode;
  if (Array.isArray(value)) {
    const items = node['items'];
    if (isPlainObject(items)) value.forEach((v, i) => checkOneOf(items, v, item(path, i), collector));
    return;
  }
  if (!isPlainObject(value)) return;
  const groups = node[ONE_OF_KEYWORD] as readonly (readonly string[])[] | undefined;
  for (const group of groups ?? []) {
    const set = group.filter((name) => value[name] !== undefined);
    if (set.length > 1) {
      collector.error(
        'ONE_OF',
        path,
        `only one of ${group.join(', ')} may be set, found ${set.join(' and ')}`,
      );
    }
  }
  const properties = node['properties'];
  if (isPlainObject(properties)) {
    for (const [name, child] of Object.entries(properties)) {
      if (value[name] !== undefined && isPlainObject(child))
        checkOneOf(child, value[name], field(path, name), collector);
    }
  }
  const patternProperties = node['patternProperties'];
  const valueSchema = isPlainObject(patternProperties) ? Object.values(patternProperties)[0] : undefined;
  if (isPlainObject(valueSchema)) {
    for (const [name, child] of Object.entries(value))
      checkOneOf(valueSchema, child, field(path, name), collector);
  }
}
