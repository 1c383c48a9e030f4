import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';

/**
 * The first mapping key that repeats an earlier key of the same mapping, and that earlier key, or
 * undefined. One Set per mapping, so linear in the document: the YAML library's own `uniqueKeys`
 * check compares each key with every earlier one, and a 30,000-key ConfigMap took istiod 88 s.
 * Keys compare as the library compares them (scalars by value); Kubernetes refuses duplicates too.
 */
export function findDuplicateKey(node: unknown): { key: Node; first: Node } | undefined {
  if (isMap(node)) {
    const seen = new Map<unknown, Node>();
    for (const pair of node.items as Pair<unknown, unknown>[]) {
      if (isScalar(pair.key)) {
        const first = seen.get(pair.key.value);
        if (first) return { key: pair.key, first };
        seen.set(pair.key.value, pair.key);
      }
      const inside = findDuplicateKey(pair.value);
      if (inside) return inside;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const inside = findDuplicateKey(item);
      if (inside) return inside;
    }
  }
  return undefined;
}
