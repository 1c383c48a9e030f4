import type protobuf from 'protobufjs';

/**
 * Checks a JSON value against a proto message the way Istio reads an EnvoyFilter patch value: the
 * legacy Go jsonpb unmarshaler (golang/protobuf `jsonpb/decode.go`, through Istio's
 * `pkg/util/protomarshal`). Its rules, which differ from the proto3 JSON spec in places:
 * - a field is found by its proto name or its JSON name; `null` leaves it unset;
 * - integers may be numbers or quoted numbers, but not fractions or out of range; floats also take
 *   "NaN", "Infinity" and "-Infinity"; bools and strings only their own JSON type; bytes are base64;
 * - an enum is one of its value names or a number;
 * - Duration is a Go duration string (`1.5s`, `500ms`, `1h`), Timestamp RFC 3339; a wrapper
 *   (`BoolValue`) is the bare value; Struct, Value and ListValue take any JSON of their shape;
 * - an Any needs `@type`, whose message must be known; its other keys are that message's fields.
 * Unknown fields are ignored in the pass that decides acceptance, so they are reported apart (Istio
 * warns about them from a second, strict pass), and so are enum names our older snapshot lacks.
 */

export type PathSegment = string | number;

export type ProtoJsonProblemKind =
  /** The value cannot be read as the message: Istio refuses the resource. */
  | 'invalid'
  /** A key the message does not have: only the strict pass fails on it. */
  | 'unknown-field'
  /**
   * An enum name our proto snapshot lacks. Istio refuses names its Envoy API lacks, but istiod's API
   * is newer than ours (ext_proc's `FULL_DUPLEX_STREAMED`), so this cannot tell a typo from a newer name.
   */
  | 'unknown-enum-value'
  /** An Any whose type URL names no message known to Istio. */
  | 'unresolved-type'
  /** An Any whose message Istio knows but this mesh has no proto for: its fields go unchecked. */
  | 'unchecked-type';

export interface ProtoJsonProblem {
  kind: ProtoJsonProblemKind;
  /** Where in the checked value: keys and list indexes. */
  path: PathSegment[];
  message: string;
}

/** Resolves an Any's type URL: its message, 'unchecked' when Istio knows it but we lack its proto, else undefined. */
export type AnyResolver = (typeUrl: string) => protobuf.Type | 'unchecked' | undefined;

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const JSON_INTEGER = /^-?(?:0|[1-9]\d*)$/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);
const FLOAT32_MAX = 3.4028234663852886e38;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Go's time.ParseDuration: "0", or numbers (fractions allowed) each with a unit. */
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const WRAPPERS: Record<string, string> = {
  BoolValue: 'bool',
  BytesValue: 'bytes',
  StringValue: 'string',
  Int32Value: 'int32',
  UInt32Value: 'uint32',
  Int64Value: 'int64',
  UInt64Value: 'uint64',
  FloatValue: 'float',
  DoubleValue: 'double',
};

/** The JSON name protoc gives a field: underscores dropped, the letter after each upper-cased. */
export function jsonName(protoName: string): string {
  return protoName.replace(/_([a-z])?/g, (_match, letter: string | undefined) => letter?.toUpperCase() ?? '');
}

const fieldIndexes = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** The field a JSON key names, by proto name or JSON name. */
export function fieldOf(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let index = fieldIndexes.get(type);
  if (index === undefined) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      index.set((field.options?.['json_name'] as string | undefined) ?? jsonName(field.name), field);
    }
    fieldIndexes.set(type, index);
  }
  return index.get(key);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Every problem reading `value` as a `type` message. */
export function protoJsonProblems(
  type: protobuf.Type,
  value: unknown,
  resolveAny: AnyResolver,
): ProtoJsonProblem[] {
  const problems: ProtoJsonProblem[] = [];
  const problem = (kind: ProtoJsonProblemKind, path: PathSegment[], message: string): void => {
    problems.push({ kind, path, message });
  };

  function message(t: protobuf.Type, v: unknown, path: PathSegment[]): void {
    if (v === null) return;
    const wellKnown = /^\.google\.protobuf\.(\w+)$/.exec(t.fullName)?.[1];
    if (wellKnown !== undefined && wellKnownValue(wellKnown, v, path)) return;
    if (!isObject(v)) return problem('invalid', path, `expected a ${t.name} object, got ${describe(v)}`);
    for (const [key, fieldValue] of Object.entries(v)) {
      const f = fieldOf(t, key);
      if (f === undefined)
        problem('unknown-field', [...path, key], `unknown field "${key}" in ${t.fullName.slice(1)}`);
      else if (fieldValue !== null) fieldOfMessage(f, fieldValue, [...path, key]);
    }
  }

  /** Checks a well-known type with a JSON form of its own; false for those read as plain messages. */
  function wellKnownValue(name: string, v: unknown, path: PathSegment[]): boolean {
    const scalarType = WRAPPERS[name];
    if (scalarType !== undefined) scalar(scalarType, v, path);
    else if (name === 'Any') any(v, path);
    else if (name === 'Duration') {
      if (typeof v !== 'string' || !GO_DURATION.test(v))
        problem('invalid', path, `expected a duration such as "1.5s" or "500ms", got ${describe(v)}`);
    } else if (name === 'Timestamp') {
      if (typeof v !== 'string' || !RFC3339.test(v))
        problem('invalid', path, `expected an RFC 3339 timestamp, got ${describe(v)}`);
    } else if (name === 'Struct') {
      if (!isObject(v)) problem('invalid', path, `expected an object, got ${describe(v)}`);
    } else if (name === 'ListValue') {
      if (!Array.isArray(v)) problem('invalid', path, `expected a list, got ${describe(v)}`);
    } else if (name !== 'Value') return false;
    return true;
  }

  function any(v: unknown, path: PathSegment[]): void {
    if (!isObject(v))
      return problem('invalid', path, `expected an Any object with "@type", got ${describe(v)}`);
    const typeUrl = v['@type'];
    if (typeUrl === undefined) return problem('invalid', path, `Any JSON doesn't have '@type'`);
    if (typeof typeUrl !== 'string')
      return problem('invalid', [...path, '@type'], `expected a type URL string, got ${describe(typeUrl)}`);
    const inner = resolveAny(typeUrl);
    if (inner === undefined)
      return problem('unresolved-type', [...path, '@type'], `could not resolve Any message type: ${typeUrl}`);
    if (inner === 'unchecked')
      return problem(
        'unchecked-type',
        [...path, '@type'],
        `${typeUrl} is not checked: this mesh has no proto for it`,
      );
    // A well-known type packed in an Any keeps its own JSON form under `value`.
    if (/^\.google\.protobuf\./.test(inner.fullName)) {
      if (!('value' in v)) return problem('invalid', path, `Any JSON doesn't have 'value'`);
      return message(inner, v['value'], [...path, 'value']);
    }
    const { '@type': _typeUrl, ...fields } = v;
    message(inner, fields, path);
  }

  function fieldOfMessage(f: protobuf.Field, v: unknown, path: PathSegment[]): void {
    if (f.map) {
      const { keyType } = f as unknown as protobuf.MapField;
      if (!isObject(v)) return problem('invalid', path, `expected a map (object), got ${describe(v)}`);
      for (const [key, entry] of Object.entries(v)) {
        if (keyType !== 'string') scalar(keyType, key, [...path, key]);
        single(f, entry, [...path, key]);
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) return problem('invalid', path, `expected a list, got ${describe(v)}`);
      v.forEach((entry, i) => single(f, entry, [...path, i]));
    } else single(f, v, path);
  }

  function single(f: protobuf.Field, v: unknown, path: PathSegment[]): void {
    const resolved = f.resolve().resolvedType;
    if (resolved === null) scalar(f.type, v, path);
    else if ('values' in resolved) enumValue(resolved as protobuf.Enum, v, path);
    else message(resolved as protobuf.Type, v, path);
  }

  function enumValue(e: protobuf.Enum, v: unknown, path: PathSegment[]): void {
    if (v === null) return;
    const name = `enum ${e.fullName.slice(1)} (${Object.keys(e.values).join(', ')})`;
    if (typeof v === 'string') {
      if (!(v in e.values)) problem('unknown-enum-value', path, `unknown value "${v}" for ${name}`);
    } else if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) >= 2 ** 31)
      problem('invalid', path, `expected a value name of ${name}, got ${describe(v)}`);
  }

  function scalar(scalarType: string, v: unknown, path: PathSegment[]): void {
    const reason = scalarProblem(scalarType, v);
    if (reason !== undefined) problem('invalid', path, reason);
  }

  message(type, value, []);
  return problems;
}

/** Why `v` is not a value of the proto scalar type, or undefined when it is. */
function scalarProblem(scalarType: string, v: unknown): string | undefined {
  if (v === null) return undefined;
  const expected = (what: string) => `expected ${what}, got ${describe(v)}`;
  const range = INT_RANGES[scalarType];
  if (range !== undefined) {
    const text = typeof v === 'number' ? (Number.isInteger(v) ? BigInt(v).toString() : String(v)) : v;
    if (typeof text !== 'string' || !JSON_INTEGER.test(text)) return expected(`an integer (${scalarType})`);
    const n = BigInt(text);
    return n < range[0] || n > range[1] ? `${text} is out of range for ${scalarType}` : undefined;
  }
  switch (scalarType) {
    case 'bool':
      return typeof v === 'boolean' ? undefined : expected('true or false');
    case 'string':
      return typeof v === 'string' ? undefined : expected('a string');
    case 'bytes':
      return typeof v === 'string' && BASE64.test(v.replace(/[\r\n]/g, ''))
        ? undefined
        : expected('base64 bytes');
    case 'float':
    case 'double': {
      if (typeof v === 'string' && NON_FINITE.has(v)) return undefined;
      const n =
        typeof v === 'number' ? v : typeof v === 'string' && JSON_NUMBER.test(v) ? Number(v) : undefined;
      if (n === undefined) return expected(`a number (${scalarType})`);
      return scalarType === 'float' && Math.abs(n) > FLOAT32_MAX
        ? `${String(v)} is out of range for float`
        : undefined;
    }
    default:
      return undefined;
  }
}
