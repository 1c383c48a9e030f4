import { KubeError } from './errors.js';

/**
 * The two generic patch formats of the Kubernetes API: JSON Patch (RFC 6902, what admission webhooks
 * return and `kubectl patch --type=json` sends) and JSON Merge Patch (RFC 7386, `--type=merge`).
 * Both are pure: the input document is never modified.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

function fail(message: string): never {
  throw new KubeError('KUBE_JSON_PATCH_FAILED', message);
}

/** RFC 6901: `/a/b~1c/0` → `['a', 'b/c', '0']`. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) fail(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep structural equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

function arrayIndex(token: string, length: number, forInsert: boolean, path: string): number {
  if (forInsert && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) fail(`invalid array index "${token}" in path "${path}"`);
  const index = Number(token);
  if (index > length || (!forInsert && index === length))
    fail(`array index ${index} out of range in path "${path}"`);
  return index;
}

function lastToken(tokens: readonly string[]): string {
  return tokens[tokens.length - 1] ?? '';
}

/** The container that holds the last token of `tokens` (parents must exist). */
function parentOf(doc: unknown, tokens: string[], path: string): unknown {
  let current = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[arrayIndex(token, current.length, false, path)];
    else if (isObject(current) && Object.hasOwn(current, token)) current = current[token];
    else fail(`path "${path}" does not exist: missing "${token}"`);
  }
  if (!Array.isArray(current) && !isObject(current))
    fail(`path "${path}" does not point into an object or array`);
  return current;
}

function getAt(doc: unknown, path: string): unknown {
  const tokens = parseJsonPointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, path);
  const last = lastToken(tokens);
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false, path)];
  if (!Object.hasOwn(parent as object, last)) fail(`path "${path}" does not exist`);
  return (parent as Record<string, unknown>)[last];
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parseJsonPointer(path);
  if (tokens.length === 0) fail('cannot remove the whole document');
  const parent = parentOf(doc, tokens, path);
  const last = lastToken(tokens);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(last, parent.length, false, path), 1)[0];
  const record = parent as Record<string, unknown>;
  if (!Object.hasOwn(record, last)) fail(`path "${path}" does not exist`);
  const removed = record[last];
  delete record[last];
  return removed;
}

/** Adds (or, for `replace`, overwrites an existing member); returns the new root. */
function putAt(doc: unknown, path: string, value: unknown, mode: 'add' | 'replace'): unknown {
  const tokens = parseJsonPointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = lastToken(tokens);
  if (Array.isArray(parent)) {
    const index = arrayIndex(last, parent.length, mode === 'add', path);
    parent.splice(index, mode === 'add' ? 0 : 1, value);
  } else {
    const record = parent as Record<string, unknown>;
    if (mode === 'replace' && !Object.hasOwn(record, last)) fail(`path "${path}" does not exist`);
    record[last] = value;
  }
  return doc;
}

/** Applies RFC 6902 operations in order; throws `KUBE_JSON_PATCH_FAILED` naming the failing one. */
export function applyJsonPatch<T>(document: T, operations: unknown): T {
  if (!Array.isArray(operations)) fail('a JSON patch must be an array of operations');
  let doc: unknown = structuredClone(document);
  operations.forEach((raw: unknown, index) => {
    if (!isObject(raw) || typeof raw['path'] !== 'string') fail(`operation ${index}: missing "path"`);
    const { op, path, value, from } = raw as unknown as JsonPatchOperation;
    const needsValue = op === 'add' || op === 'replace' || op === 'test';
    if (needsValue && !Object.hasOwn(raw, 'value'))
      fail(`operation ${index} (${op} ${path}): missing "value"`);
    const source = typeof from === 'string' ? from : '';
    if ((op === 'move' || op === 'copy') && typeof from !== 'string') {
      fail(`operation ${index} (${op} ${path}): missing "from"`);
    }
    switch (op) {
      case 'add':
      case 'replace':
        doc = putAt(doc, path, structuredClone(value), op);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'move': {
        if (path.startsWith(`${from}/`)) fail(`operation ${index}: cannot move "${from}" into its own child`);
        doc = putAt(doc, path, removeAt(doc, source), 'add');
        break;
      }
      case 'copy':
        doc = putAt(doc, path, structuredClone(getAt(doc, source)), 'add');
        break;
      case 'test':
        if (!jsonEqual(getAt(doc, path), value)) fail(`operation ${index}: test failed at "${path}"`);
        break;
      default:
        fail(`operation ${index}: unknown op "${String(op)}"`);
    }
  });
  return doc as T;
}

/**
 * RFC 7386: objects merge recursively, `null` deletes a member, anything else (arrays included)
 * replaces. A non-object patch replaces the whole document.
 */
export function applyMergePatch<T>(document: T, patch: unknown): T {
  if (!isObject(patch)) return structuredClone(patch) as T;
  const result: Record<string, unknown> = isObject(document) ? structuredClone(document) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result as T;
}

/** Merge patch whose top level must be an object, as the API server requires for resources. */
export function applyObjectMergePatch<T extends object>(document: T, patch: unknown): T {
  if (!isObject(patch)) throw new KubeError('KUBE_MERGE_PATCH_FAILED', 'a merge patch must be a JSON object');
  return applyMergePatch(document, patch);
}
