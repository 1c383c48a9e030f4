import { isMap, isScalar, Scalar, visit, type Document, type Node, type Pair } from 'yaml';

/**
 * Reads `[2001:db8::, fe80::]` the way Kubernetes does. In a flow collection, YAML 1.2 ends a plain
 * scalar at a `:` followed by `,`, `]` or `}`, so `2001:db8::` becomes the mapping `{"2001:db8:": null}`;
 * the parser Kubernetes and istioctl use (go-yaml, libyaml's rules) ends it only at a `:` followed by a
 * space or line break, and reads the string `"2001:db8::"`. IPv6 addresses ending in `::` are the case
 * that matters (ServiceEntry `addresses`, Istio's own test data writes them so). Only a plain key whose
 * `:` touches the key and the next flow indicator is rewritten: `{a: b}`, `[a: b]` and quoted keys mean
 * what they mean in both parsers. In block context both parsers read a mapping, so nothing changes there.
 */
export function readFlowColonScalarsAsGoYaml(document: Document.Parsed, text: string): void {
  // Only a `:` directly before `,`, `]` or `}` can need rewriting: most documents have none, and a scan
  // of the text is far cheaper than a walk of every node (a ConfigMap may have tens of thousands).
  if (!COLON_BEFORE_FLOW_END.test(text)) return;
  visit(document, {
    Seq(_, seq) {
      if (!seq.flow) return;
      seq.items = seq.items.map((entry) => {
        const pair = isMap(entry) && entry.flow && entry.items.length === 1 ? entry.items[0] : undefined;
        const joined = pair === undefined ? undefined : joinedScalar(pair, text);
        return joined ?? entry;
      });
    },
    Map(_, map) {
      if (!map.flow) return;
      for (const pair of map.items) {
        const joined = joinedScalar(pair, text);
        if (joined !== undefined) pair.key = joined;
      }
    },
  });
}

const FLOW_END = new Set([',', ']', '}']);
const COLON_BEFORE_FLOW_END = /:[,\]}]/;

/** The plain scalar `key:` when `pair` is `key:` immediately followed by a flow indicator, else undefined. */
function joinedScalar(pair: Pair<unknown, unknown>, text: string): Scalar | undefined {
  const { key, value } = pair;
  if (!isScalar(key) || key.type !== Scalar.PLAIN || !isEmpty(value)) return undefined;
  const end = key.range?.[1];
  if (end === undefined || text[end] !== ':' || !FLOW_END.has(text[end + 1] ?? '')) return undefined;
  const scalar = new Scalar(`${String(key.source ?? key.value)}:`);
  scalar.range = [key.range?.[0] ?? end, end + 1, end + 1];
  return scalar;
}

/** No value at all: the parser leaves null or an empty scalar. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  return isScalar(value) && value.value === null && (value as Node).range?.[0] === (value as Node).range?.[1];
}
