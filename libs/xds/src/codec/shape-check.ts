import protobuf from 'protobufjs';

/**
 * protobufjs's `fromObject` silently drops fields it does not know and enum names it cannot map, so
 * a typo in a builder (`conect_timeout`, `lb_policy: 'ROUND_ROBN'`) would vanish from the config
 * without a trace. This walks a canonical object against the message schema and names every such
 * problem with its field path before encoding.
 */
export function shapeProblems(type: protobuf.Type, value: unknown, path = ''): string[] {
  const problems: string[] = [];
  checkMessage(type, value, path, problems);
  return problems;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function checkMessage(type: protobuf.Type, value: unknown, path: string, problems: string[]): void {
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Buffer.isBuffer(value) ||
    value instanceof Uint8Array
  ) {
    problems.push(`${path || '(root)'}: expected a ${type.name} message`);
    return;
  }
  if (type.fullName === '.google.protobuf.Any') {
    checkAny(type, value as Record<string, unknown>, path, problems);
    return;
  }
  for (const [key, fieldValue] of Object.entries(value)) {
    if (fieldValue === undefined || fieldValue === null) continue;
    const field = type.fields[key];
    if (!field) {
      // Virtual oneof discriminators (`cluster_discovery_type: 'type'`) come back from decoding.
      if (type.oneofs?.[key] && typeof fieldValue === 'string') continue;
      problems.push(`${join(path, key)}: unknown field of ${type.name}`);
      continue;
    }
    const fieldPath = join(path, key);
    if (field.map) {
      for (const [k, v] of Object.entries(fieldValue as object))
        checkValue(field, v, `${fieldPath}[${k}]`, problems);
    } else if (field.repeated) {
      if (!Array.isArray(fieldValue)) problems.push(`${fieldPath}: expected a list`);
      else fieldValue.forEach((v, i) => checkValue(field, v, `${fieldPath}[${i}]`, problems));
    } else {
      checkValue(field, fieldValue, fieldPath, problems);
    }
  }
}

function checkValue(field: protobuf.Field, value: unknown, path: string, problems: string[]): void {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && !(value in resolved.values)) {
      problems.push(
        `${path}: "${value}" is not a value of ${resolved.name} (${Object.keys(resolved.values).join(', ')})`,
      );
    }
  } else if (resolved instanceof protobuf.Type) {
    checkMessage(resolved, value, path, problems);
  }
}

function checkAny(
  anyType: protobuf.Type,
  value: Record<string, unknown>,
  path: string,
  problems: string[],
): void {
  const typeUrl = value['@type'];
  if (typeUrl === undefined) return; // raw {type_url, value}: opaque bytes
  if (typeof typeUrl !== 'string') {
    problems.push(`${join(path, '@type')}: must be a type URL string`);
    return;
  }
  const inner = anyType.root.lookup(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  if (!(inner instanceof protobuf.Type)) {
    problems.push(`${join(path, '@type')}: unknown type ${typeUrl}`);
    return;
  }
  const { '@type': _type, ...fields } = value;
  checkMessage(inner, fields, path, problems);
}
