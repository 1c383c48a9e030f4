/**
 * `google.protobuf.Struct` in its decoded protobuf form (`{ fields: { k: { string_value: ... } } }`)
 * converted to and from plain JSON values, as node metadata is read and written.
 */
export interface ProtoValue {
  null_value?: string | number;
  number_value?: number;
  string_value?: string;
  bool_value?: boolean;
  struct_value?: ProtoStruct;
  list_value?: { values?: ProtoValue[] };
}

export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function structToJson(struct: ProtoStruct | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = valueToJson(value);
  return out;
}

export function valueToJson(value: ProtoValue): JsonValue {
  if (value.string_value !== undefined) return value.string_value;
  if (value.number_value !== undefined) return value.number_value;
  if (value.bool_value !== undefined) return value.bool_value;
  if (value.struct_value !== undefined) return structToJson(value.struct_value);
  if (value.list_value !== undefined) return (value.list_value.values ?? []).map(valueToJson);
  return null;
}

export function jsonToStruct(json: Record<string, JsonValue>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [key, value] of Object.entries(json)) fields[key] = jsonToValue(value);
  return { fields };
}

export function jsonToValue(value: JsonValue): ProtoValue {
  if (value === null) return { null_value: 'NULL_VALUE' };
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'number') return { number_value: value };
  if (typeof value === 'boolean') return { bool_value: value };
  if (Array.isArray(value)) return { list_value: { values: value.map(jsonToValue) } };
  return { struct_value: jsonToStruct(value) };
}
