/**
 * Field paths in findings: `spec.http[0].route[1].weight`. Map keys that are not plain identifiers are
 * quoted (`headers["x-user"]`, `portLevelMtls["8080"]`) so a path always names exactly one field. The
 * loader records source lines under the same spelling, which is how findings get their `file:line`.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The path of field `key` of the object at `path`. */
export function field(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** The path of item `index` of the list at `path`. */
export function item(path: string, index: number): string {
  return `${path}[${index}]`;
}

/**
 * Converts a JSON pointer (`/http/0/route`) into a field path below `base`. The value the pointer points
 * into decides between a list index and a map key, so `portLevelMtls/8080` becomes `["8080"]`.
 */
export function pointerToPath(base: string, pointer: string, root: unknown): string {
  if (pointer === '') return base;
  let path = base;
  let current: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) {
      path = item(path, Number(token));
      current = current[Number(token)];
    } else {
      path = field(path, token);
      current =
        typeof current === 'object' && current !== null
          ? (current as Record<string, unknown>)[token]
          : undefined;
    }
  }
  return path;
}

/** The enclosing path (`spec.http[0]` for `spec.http[0].route`), or undefined at the root. */
export function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  const match = /^(.*?)(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])$/.exec(path);
  return match === null ? '' : (match[1] ?? '');
}

/** The path of a chain of plain fields below `path`: `nested('spec', 'port.number')` is `spec.port.number`. */
export function nested(path: string, fields: string): string {
  return fields.split('.').reduce((p, key) => field(p, key), path);
}
