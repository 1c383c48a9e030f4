import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';

import { istioKindByName } from '../api-kinds.js';
import { kubernetesKindOf } from '../api/kubernetes/kinds.js';
import type { Finding, SourceLocation } from '../validation/finding.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { readFlowColonScalarsAsGoYaml } from './flow-colon-scalars.js';
import { recordFieldLines, type LineAt } from './field-lines.js';
import {
  fileFinding as malformed,
  limitFindings,
  MAX_CONFIG_FILE_BYTES,
  MAX_DOCUMENT_BYTES,
  MAX_FINDINGS_PER_FILE,
  oversizeDocument,
  oversizeFile,
} from './input-limits.js';
import { splitYamlDocuments } from './yaml-documents.js';

/**
 * Multi-document YAML → resources, each remembering where it came from. Pure: callers read files and
 * pass their text. Empty documents are skipped, `List` kinds are expanded into their items, kinds the
 * mesh does not know are returned as `unknown` resources (not errors), and YAML syntax errors become
 * findings with `file:line` (the broken document is skipped, the rest of the file still loads).
 * Linear in the input, and bounded (./input-limits.ts): a file or document above its size limit is
 * refused unparsed, and findings past the per-file cap are counted, not listed.
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
  const result: LoadResult = { resources: [], findings: [] };
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_FILE_BYTES) {
    result.findings.push(oversizeFile(fileName, bytes));
    return result;
  }
  let dropped = 0;
  for (const chunk of splitYamlDocuments(text)) {
    const chunkBytes = Buffer.byteLength(chunk.text);
    if (chunkBytes > MAX_DOCUMENT_BYTES) {
      result.findings.push(oversizeDocument(fileName, chunk.firstLine, chunkBytes));
      continue;
    }
    const lineCounter = new LineCounter();
    const documents = parseQuickly(chunk.text, lineCounter);
    const lineAt: LineAt = (offset) => lineCounter.linePos(offset).line + chunk.firstLine - 1;
    // An empty stream (no documents at all) is not an array.
    if (Array.isArray(documents))
      for (const document of documents) loadDocument(document, chunk.text, fileName, lineAt, result);
    // Garbage yields an error every few bytes: count the ones past the cap instead of keeping them.
    if (result.findings.length > MAX_FINDINGS_PER_FILE) {
      dropped += result.findings.length - MAX_FINDINGS_PER_FILE;
      result.findings.length = MAX_FINDINGS_PER_FILE;
    }
  }
  result.findings = limitFindings(result.findings, fileName, dropped);
  return result;
}

/**
 * The YAML library's parse, minus its costs that grow with the input: its duplicate-key check is
 * quadratic (ours, in `loadDocument`, is linear), and every syntax error it finds is an `Error` whose
 * stack trace it never uses but pays for (eight times the whole parse on garbage).
 */
function parseQuickly(text: string, lineCounter: LineCounter) {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: false });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function loadDocument(
  document: Document.Parsed,
  text: string,
  file: string,
  lineAt: LineAt,
  result: LoadResult,
): void {
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      // The library's message repeats the position (within the chunk) that the finding gives.
      const message = (error.message.split('\n')[0] ?? error.message).replace(
        / at line \d+, column \d+:$/,
        '',
      );
      result.findings.push(malformed(file, lineAt(error.pos[0]), message, 'YAML_SYNTAX'));
    }
    return;
  }
  readFlowColonScalarsAsGoYaml(document, text);
  const duplicate = findDuplicateKey(document.contents);
  if (duplicate) {
    const key = String((duplicate.key as { value?: unknown }).value);
    result.findings.push(
      malformed(
        file,
        lineAt(duplicate.key.range?.[0] ?? 0),
        `Map keys must be unique: "${key}" is repeated (first at line ${lineAt(duplicate.first.range?.[0] ?? 0)})`,
        'YAML_SYNTAX',
      ),
    );
    return;
  }
  const contents = document.contents;
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // `toJS` refuses alias bombs ("billion laughs") and unresolvable aliases.
    const line = lineAt(contents?.range?.[0] ?? 0);
    result.findings.push(
      malformed(file, line, error instanceof Error ? error.message : String(error), 'YAML_SYNTAX'),
    );
    return;
  }
  if (value === null || value === undefined) return;
  const line = lineAt(contents?.range?.[0] ?? 0);
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
      const itemLine = node?.range === undefined || node.range === null ? line : lineAt(node.range[0]);
      addResource(entry, node, { file, line: itemLine }, lineAt, result);
    });
    return;
  }
  addResource(value, contents, { file, line }, lineAt, result);
}

function addResource(
  value: unknown,
  node: unknown,
  source: SourceLocation,
  lineAt: LineAt,
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
    fieldLines: recordFieldLines(node, lineAt),
  });
}
