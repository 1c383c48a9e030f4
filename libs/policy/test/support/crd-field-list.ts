/**
 * Flattens a CRD `openAPIV3Schema` (ours, generated from the TypeBox schemas) and the hand-written field
 * list of Istio's CRDs (src/testdata/istio-api/crd-fields.yaml) into the same form, one entry per field
 * path: `spec.http[].match[].uri.exact` → `string`. Comparing the two shows every field one side has and
 * the other lacks, and every type or enum that differs.
 */
export type FieldList = Map<string, string>;
type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A node of a structural schema: its type word, with enum values sorted so that order does not matter,
 * and a string's format (the API server checks `byte`: base64).
 */
function describeSchema(node: Node): string {
  if (node['x-kubernetes-int-or-string'] === true) return 'int-or-string';
  if (node['x-kubernetes-preserve-unknown-fields'] === true && !isNode(node['properties'])) return 'free';
  const type = String(node['type']);
  if (Array.isArray(node['enum'])) return `${type} enum=${[...node['enum']].sort().join('|')}`;
  return type === 'string' && typeof node['format'] === 'string' ? `string format=${node['format']}` : type;
}

export function schemaFields(schema: Node, path = 'spec', out: FieldList = new Map()): FieldList {
  const type = describeSchema(schema);
  out.set(path, type);
  if (type === 'free') return out;
  if (isNode(schema['properties']))
    for (const [name, child] of Object.entries(schema['properties']))
      if (isNode(child)) schemaFields(child, `${path}.${name}`, out);
  if (isNode(schema['additionalProperties'])) schemaFields(schema['additionalProperties'], `${path}{}`, out);
  if (isNode(schema['items'])) schemaFields(schema['items'], `${path}[]`, out);
  return out;
}

/** A leaf of the field list: `string`, `string(byte)`, `integer`, `free`, `enum(A,B)`, ... in `describeSchema`'s words. */
function describeLeaf(leaf: string): string {
  const format = /^string\((.*)\)$/.exec(leaf);
  if (format !== null) return `string format=${format[1]}`;
  const match = /^enum\((.*)\)$/.exec(leaf);
  if (match === null) return leaf;
  return `string enum=${match[1]!.split(',').sort().join('|')}`;
}

/** `name[]` is an array of the value, `name{}` a map of it; anything else a property. */
export function listedFields(value: unknown, path = 'spec', out: FieldList = new Map()): FieldList {
  if (!isNode(value)) {
    out.set(path, describeLeaf(String(value)));
    return out;
  }
  out.set(path, 'object');
  for (const [key, child] of Object.entries(value)) {
    if (key.endsWith('[]')) {
      const name = `${path}.${key.slice(0, -2)}`;
      out.set(name, 'array');
      listedFields(child, `${name}[]`, out);
    } else if (key.endsWith('{}')) {
      const name = `${path}.${key.slice(0, -2)}`;
      out.set(name, 'object');
      listedFields(child, `${name}{}`, out);
    } else {
      listedFields(child, `${path}.${key}`, out);
    }
  }
  return out;
}

/** Every `required` list of a CRD schema, as `path: name,name` lines (`(root)` for the object itself). */
export function requiredFields(schema: Node, path = '(root)', out: string[] = []): string[] {
  if (Array.isArray(schema['required'])) out.push(`${path}: ${[...schema['required']].sort().join(',')}`);
  const at = (name: string) => (path === '(root)' ? name : `${path}.${name}`);
  if (isNode(schema['properties']))
    for (const [name, child] of Object.entries(schema['properties']))
      if (isNode(child) && !(path === '(root)' && name === 'status')) requiredFields(child, at(name), out);
  if (isNode(schema['additionalProperties']))
    requiredFields(schema['additionalProperties'], `${path}{}`, out);
  if (isNode(schema['items'])) requiredFields(schema['items'], `${path}[]`, out);
  return out.sort();
}

/** The messages of every CEL rule (`x-kubernetes-validations`) of a schema, sorted and deduplicated. */
export function validationMessages(schema: Node, out = new Set<string>()): string[] {
  const rules = schema['x-kubernetes-validations'];
  if (Array.isArray(rules)) for (const rule of rules) if (isNode(rule)) out.add(String(rule['message']));
  if (isNode(schema['properties']))
    for (const child of Object.values(schema['properties']))
      if (isNode(child)) validationMessages(child, out);
  if (isNode(schema['additionalProperties'])) validationMessages(schema['additionalProperties'], out);
  if (isNode(schema['items'])) validationMessages(schema['items'], out);
  return [...out].sort();
}

/** Entries of `a` that `b` lacks or describes differently, as `path type` lines. */
export function fieldsMissingFrom(a: FieldList, b: FieldList): string[] {
  return [...a]
    .filter(([path, type]) => b.get(path) !== type)
    .map(([path, type]) => `${path} ${type}`)
    .sort();
}
