import { ONE_OF_KEYWORD } from '../api/schema-helpers.js';

/**
 * Turns a TypeBox (JSON Schema) schema into a Kubernetes structural `openAPIV3Schema`:
 * - `additionalProperties: false` is dropped (Kubernetes forbids it next to `properties`; the API
 *   server prunes unknown fields instead, while our own validator reports them);
 * - maps (`patternProperties`) become `additionalProperties: <schema>`, or just
 *   `x-kubernetes-preserve-unknown-fields` for free-form values;
 * - string enums get `type: string`, int-or-string values get Istio's `anyOf` form;
 * - `x-mesh-one-of` groups become Istio's `oneOf` blocks ("at most one of").
 * Every node must end up typed: an untyped node would make the CRD non-structural, so it throws.
 */
export type JsonObject = { [key: string]: unknown };

export function toStructuralSchema(schema: unknown, path = '#'): JsonObject {
  if (!isObject(schema)) throw new Error(`${path}: expected a schema object`);
  const out: JsonObject = {};
  let oneOfGroups: readonly (readonly string[])[] | undefined;
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case 'properties':
        out['properties'] = mapValues(value, (child, name) =>
          toStructuralSchema(child, `${path}/properties/${name}`),
        );
        break;
      case 'patternProperties': {
        const valueSchema = isObject(value) ? Object.values(value)[0] : undefined;
        if (isObject(valueSchema) && Object.keys(valueSchema).length > 0) {
          out['additionalProperties'] = toStructuralSchema(valueSchema, `${path}/additionalProperties`);
        }
        break;
      }
      case 'additionalProperties':
        if (isObject(value))
          out['additionalProperties'] = toStructuralSchema(value, `${path}/additionalProperties`);
        break;
      case 'items':
        out['items'] = toStructuralSchema(value, `${path}/items`);
        break;
      case ONE_OF_KEYWORD:
        oneOfGroups = value as readonly (readonly string[])[];
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
      case 'not':
        throw new Error(`${path}: ${key} is not expressible in a structural schema; use ${ONE_OF_KEYWORD}`);
      default:
        out[key] = value;
    }
  }
  if (Array.isArray(out['enum']) && out['type'] === undefined) out['type'] = 'string';
  if (out['x-kubernetes-int-or-string'] === true) out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  if (oneOfGroups !== undefined) Object.assign(out, oneOfBlock(oneOfGroups));
  const typed =
    out['type'] !== undefined ||
    out['x-kubernetes-int-or-string'] === true ||
    out['x-kubernetes-preserve-unknown-fields'] === true;
  if (!typed) throw new Error(`${path}: schema has no type, the CRD would not be structural`);
  return out;
}

/** Istio's encoding of a proto `oneof` ("at most one of these fields"), one block per group. */
function oneOfBlock(groups: readonly (readonly string[])[]): JsonObject {
  const atMostOne = (fields: readonly string[]) => [
    { not: { anyOf: fields.map((f) => ({ required: [f] })) } },
    ...fields.map((f) => ({ required: [f] })),
  ];
  const [first] = groups;
  if (groups.length === 1 && first !== undefined) return { oneOf: atMostOne(first) };
  return { allOf: groups.map((g) => ({ oneOf: atMostOne(g) })) };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapValues(value: unknown, f: (child: unknown, name: string) => JsonObject): JsonObject {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([name, child]) => [name, f(child, name)]));
}

/**
 * Sorts the keys of every mapping, recursively, as Go's YAML marshaller does for Istio's generated CRDs;
 * this keeps the output stable whatever order the schemas declare fields in. Arrays keep their order.
 */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeysDeep(value[key])]),
  );
}
