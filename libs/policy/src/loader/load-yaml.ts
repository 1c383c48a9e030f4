import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';

import { istioKindByName } from '../api-kinds.js';
import { kubernetesKindOf } from '../api/kubernetes/kinds.js';
import type { Finding, SourceLocation } from '../validation/finding.js';
import { recordFieldLines } from './field-lines.js';

/**
 * Multi-document YAML → resources, each remembering where it came from. Pure: callers read files and
 * pass their text. Empty documents are skipped, `List` kinds are expanded into their items, kinds the
 * mesh does not know are returned as `unknown` resources (not errors), and YAML syntax errors become
 * findings with `file:line` (the broken document is skipped, the rest of the file still loads).
 */

export type ResourceCategory = 'istio' | 'kubernetes' | 'unknown';

export interface LoadedResource {
  category: ResourceCategory;
  apiVersion: string;
  kind: string;
  name: string;
  /** Empty when the document sets none (no default is applied here). */
  namespace: string;
  /** The document as parsed, untouched. */
  object: Record<string, unknown>;
  /** The file and the first line of the document (or of the item, for List items). */
  source: SourceLocation;
  /** Line of every field, keyed by field path (`spec.hosts[0]`), for precise finding locations. */
  fieldLines: ReadonlyMap<string, number>;
}

export interface LoadResult {
  resources: LoadedResource[];
  findings: Finding[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function categoryOf(apiVersion: string, kind: string): ResourceCategory {
  if (istioKindByName(apiVersion, kind) !== undefined) return 'istio';
  if (kubernetesKindOf(apiVersion, kind) !== undefined) return 'kubernetes';
  return 'unknown';
}

/** `List`, `VirtualServiceList`, ...: a kind ending in `List` that carries `items`. */
function isList(object: Record<string, unknown>): boolean {
  return (
    typeof object['kind'] === 'string' && object['kind'].endsWith('List') && Array.isArray(object['items'])
  );
}

export function loadYaml(text: string, fileName: string): LoadResult {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, merge: true });
  const result: LoadResult = { resources: [], findings: [] };
  // An empty stream (no documents at all) is not an array.
  if (!Array.isArray(documents)) return result;
  for (const document of documents) loadDocument(document, fileName, lineCounter, result);
  return result;
}

function malformed(
  file: string,
  line: number,
  message: string,
  code: 'YAML_SYNTAX' | 'RESOURCE_MALFORMED',
): Finding {
  return {
    code,
    level: 'Error',
    kind: '',
    namespace: '',
    name: '',
    path: '',
    message,
    source: { file, line },
  };
}

function loadDocument(
  document: Document.Parsed,
  file: string,
  lineCounter: LineCounter,
  result: LoadResult,
): void {
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const line = error.linePos?.[0].line ?? 1;
      result.findings.push(
        malformed(file, line, error.message.split('\n')[0] ?? error.message, 'YAML_SYNTAX'),
      );
    }
    return;
  }
  const contents = document.contents;
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // `toJS` refuses alias bombs ("billion laughs") and unresolvable aliases.
    const line = lineCounter.linePos(contents?.range?.[0] ?? 0).line;
    result.findings.push(
      malformed(file, line, error instanceof Error ? error.message : String(error), 'YAML_SYNTAX'),
    );
    return;
  }
  if (value === null || value === undefined) return;
  const line = lineCounter.linePos(contents?.range?.[0] ?? 0).line;
  if (!isObject(value)) {
    result.findings.push(
      malformed(file, line, 'a document must be a mapping (a Kubernetes object)', 'RESOURCE_MALFORMED'),
    );
    return;
  }
  if (isList(value) && isMap(contents)) {
    const itemsNode = contents.get('items', true);
    const itemNodes = isSeq(itemsNode) ? (itemsNode.items as Node[]) : [];
    (value['items'] as unknown[]).forEach((entry, index) => {
      const node = itemNodes[index];
      const itemLine =
        node?.range === undefined || node.range === null ? line : lineCounter.linePos(node.range[0]).line;
      addResource(entry, node, { file, line: itemLine }, lineCounter, result);
    });
    return;
  }
  addResource(value, contents, { file, line }, lineCounter, result);
}

function addResource(
  value: unknown,
  node: unknown,
  source: SourceLocation,
  lineCounter: LineCounter,
  result: LoadResult,
): void {
  if (!isObject(value) || typeof value['apiVersion'] !== 'string' || typeof value['kind'] !== 'string') {
    result.findings.push(
      malformed(
        source.file,
        source.line,
        'a Kubernetes object needs a string apiVersion and kind',
        'RESOURCE_MALFORMED',
      ),
    );
    return;
  }
  const metadata = isObject(value['metadata']) ? value['metadata'] : {};
  const apiVersion = value['apiVersion'];
  const kind = value['kind'];
  result.resources.push({
    category: categoryOf(apiVersion, kind),
    apiVersion,
    kind,
    name: typeof metadata['name'] === 'string' ? metadata['name'] : '',
    namespace: typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '',
    object: value,
    source,
    fieldLines: recordFieldLines(node, lineCounter),
  });
}
