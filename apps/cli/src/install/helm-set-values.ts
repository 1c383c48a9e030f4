/**
 * Helm's `--set` syntax, parsed as `helm` parses it (helm's strvals), so that `meshctl install --set
 * a.b=c` means what `helm install --set a.b=c` means: comma-separated `key=value` pairs, keys split at
 * dots (`\.` keeps a dot, as in annotation names), `name[i]` list elements, `{a,b}` lists, and values
 * typed as helm types them (true/false/null in any case, integers that do not start with 0, else text).
 */

export type ValueTree = { [key: string]: unknown };

/** A `--set` argument helm would refuse: the message quotes it. */
export class SetValueError extends Error {
  override readonly name = 'SetValueError';
}

/** Splits at `separator` outside `{...}`, honouring backslash escapes (kept, for the next stage). */
function splitUnescaped(text: string, separator: string, braces: boolean): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[++i];
      continue;
    }
    if (braces && ch === '{') depth++;
    if (braces && ch === '}') depth = Math.max(0, depth - 1);
    if (ch === separator && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

const unescape = (text: string) => text.replace(/\\(.)/g, '$1');

/** helm's typedVal. */
export function typedSetValue(text: string): unknown {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (text === '0') return 0;
  if (/^[+-]?[1-9]\d*$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

function parseValue(raw: string): unknown {
  if (raw.startsWith('{') && raw.endsWith('}')) {
    const inner = raw.slice(1, -1);
    return inner === '' ? [] : splitUnescaped(inner, ',', true).map((item) => typedSetValue(unescape(item)));
  }
  return typedSetValue(unescape(raw));
}

/** One key segment: a name with optional `[i]` indexes. */
interface Segment {
  name: string;
  indexes: number[];
}

function parseKey(key: string, whole: string): Segment[] {
  if (key === '') throw new SetValueError(`--set ${whole}: the key is empty`);
  return splitUnescaped(key, '.', false).map((part) => {
    const match = /^(.*?)((?:\[\d+\])*)$/.exec(part) as RegExpExecArray;
    const name = unescape(match[1] as string);
    if (name === '') throw new SetValueError(`--set ${whole}: empty key segment in "${key}"`);
    const indexes = [...(match[2] as string).matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    if (indexes.some((i) => i > 65536))
      throw new SetValueError(`--set ${whole}: list index too large in "${key}"`);
    return { name, indexes };
  });
}

const isTree = (value: unknown): value is ValueTree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Sets `value` at `path` in `tree`, creating maps and lists on the way (helm pads lists with null). */
function setPath(tree: ValueTree, path: Segment[], value: unknown): void {
  // Each step is (container, key) where container is a map (string key) or a list (number key).
  type Slot = { get(): unknown; set(v: unknown): void };
  let slot: Slot | undefined;
  let container: ValueTree = tree;
  for (const [i, segment] of path.entries()) {
    const map = container;
    const name = segment.name;
    slot = { get: () => map[name], set: (v) => (map[name] = v) };
    for (const index of segment.indexes) {
      const parent = slot;
      let list = parent.get();
      if (!Array.isArray(list)) parent.set((list = []));
      const items = list as unknown[];
      while (items.length <= index) items.push(null);
      slot = { get: () => items[index], set: (v) => (items[index] = v) };
    }
    if (i === path.length - 1) break;
    let next = slot.get();
    if (!isTree(next)) slot.set((next = {}));
    container = next as ValueTree;
  }
  slot?.set(value);
}

/** Applies one `--set` argument (possibly several comma-separated pairs) onto `tree`. */
export function applySetArgument(tree: ValueTree, argument: string): void {
  for (const pair of splitUnescaped(argument, ',', true)) {
    if (pair === '') continue;
    const parts = splitUnescaped(pair, '=', true);
    if (parts.length < 2) throw new SetValueError(`--set ${argument}: "${pair}" is not key=value`);
    const key = parts[0] as string;
    setPath(tree, parseKey(key, argument), parseValue(pair.slice(key.length + 1)));
  }
}
