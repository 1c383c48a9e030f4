import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

import { field, item } from '../field-paths.js';

/**
 * Records the 1-based line of every field and list item of a YAML node, keyed by the same field path
 * spelling findings use (`spec.http[0].route[1].weight`), so a finding can point at its exact line.
 */
export function recordFieldLines(node: unknown, lineCounter: LineCounter, base = ''): Map<string, number> {
  const lines = new Map<string, number>();
  walk(node, base, lines, lineCounter);
  return lines;
}

function lineOf(node: Node | null | undefined, lineCounter: LineCounter): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lineCounter.linePos(start).line;
}

function walk(node: unknown, path: string, lines: Map<string, number>, lineCounter: LineCounter): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      // `<<` merge keys are not fields of the resulting object.
      if (key === '<<') continue;
      const childPath = field(path, key);
      const line = lineOf(isScalar(pair.key) ? pair.key : undefined, lineCounter);
      if (line !== undefined) lines.set(childPath, line);
      walk(pair.value, childPath, lines, lineCounter);
    }
  } else if (isSeq(node)) {
    node.items.forEach((child, index) => {
      const childPath = item(path, index);
      const line = lineOf(child as Node, lineCounter);
      if (line !== undefined) lines.set(childPath, line);
      walk(child, childPath, lines, lineCounter);
    });
  }
}
