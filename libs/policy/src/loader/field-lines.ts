import { isMap, isScalar, isSeq, type Node } from 'yaml';

import { field, item } from '../field-paths.js';

/** The 1-based line of the file at a character offset of the text the YAML library parsed. */
export type LineAt = (offset: number) => number;

/**
 * Records the 1-based line of every field and list item of a YAML node, keyed by the same field path
 * spelling findings use (`spec.http[0].route[1].weight`), so a finding can point at its exact line.
 */
export function recordFieldLines(node: unknown, lineAt: LineAt, base = ''): Map<string, number> {
  const lines = new Map<string, number>();
  walk(node, base, lines, lineAt);
  return lines;
}

function lineOf(node: Node | null | undefined, lineAt: LineAt): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lineAt(start);
}

function walk(node: unknown, path: string, lines: Map<string, number>, lineAt: LineAt): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      // `<<` merge keys are not fields of the resulting object.
      if (key === '<<') continue;
      const childPath = field(path, key);
      const line = lineOf(isScalar(pair.key) ? pair.key : undefined, lineAt);
      if (line !== undefined) lines.set(childPath, line);
      walk(pair.value, childPath, lines, lineAt);
    }
  } else if (isSeq(node)) {
    node.items.forEach((child, index) => {
      const childPath = item(path, index);
      const line = lineOf(child as Node, lineAt);
      if (line !== undefined) lines.set(childPath, line);
      walk(child, childPath, lines, lineAt);
    });
  }
}
