import { LineCounter, parseAllDocuments } from 'yaml';

import type { Finding, FindingCode } from '../validation/finding.js';
import { validateMeshConfig, type MeshConfigValidation } from '../validation/mesh-config.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { recordFieldLines } from './field-lines.js';
import { fileFinding, limitFindings, MAX_DOCUMENT_BYTES, oversizeDocument } from './input-limits.js';

/**
 * The refusal of a mesh config of `bytes` bytes, unread: above the size of a Kubernetes object (the
 * ConfigMap it lives in could not be stored), or undefined when it is small enough to parse.
 */
export function refuseOversizeMeshConfig(file: string, bytes: number): MeshConfigValidation | undefined {
  if (bytes <= MAX_DOCUMENT_BYTES) return undefined;
  return { errors: [{ ...oversizeDocument(file, 1, bytes), kind: 'MeshConfig' }], warnings: [] };
}

/**
 * A MeshConfig written as YAML (a `--mesh-config` file, or the `mesh` key of the `istio` ConfigMap) →
 * the validated MeshConfig with Istio's defaults, or every problem with `file:line`. One document, with
 * the loader's bounds: refused unparsed above the size of a Kubernetes object, duplicate keys found in
 * linear time, findings capped. Pure: the caller reads the file.
 */
export function parseMeshConfigYaml(text: string, file: string): MeshConfigValidation {
  const refused = (finding: Finding): MeshConfigValidation => ({
    errors: [{ ...finding, kind: 'MeshConfig' }],
    warnings: [],
  });
  const oversize = refuseOversizeMeshConfig(file, Buffer.byteLength(text));
  if (oversize) return oversize;
  const lineCounter = new LineCounter();
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const refuse = (offset: number, message: string, code: FindingCode = 'YAML_SYNTAX') =>
    refused(fileFinding(file, lineAt(offset), message, code));
  // `uniqueKeys: false`: the library's own duplicate check is quadratic; findDuplicateKey is not.
  const parsed = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  const [document, second] = documents;
  if (document === undefined) return validateMeshConfig({});
  if (second !== undefined) return refuse(second.range[0], 'a mesh config is one YAML document');
  if (document.errors.length > 0) {
    const syntax = document.errors.map((error) =>
      fileFinding(file, lineAt(error.pos[0]), error.message.split('\n')[0] ?? error.message, 'YAML_SYNTAX'),
    );
    return { errors: limitFindings(syntax, file).map((f) => ({ ...f, kind: 'MeshConfig' })), warnings: [] };
  }
  const duplicate = findDuplicateKey(document.contents);
  if (duplicate) {
    const key = String((duplicate.key as { value?: unknown }).value);
    const first = lineAt(duplicate.first.range?.[0] ?? 0);
    return refuse(
      duplicate.key.range?.[0] ?? 0,
      `Map keys must be unique: "${key}" is repeated (first at line ${first})`,
    );
  }
  const start = document.contents?.range?.[0] ?? 0;
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // `toJS` refuses alias bombs ("billion laughs") and unresolvable aliases.
    return refuse(start, (error as Error).message);
  }
  if (value !== null && (typeof value !== 'object' || Array.isArray(value)))
    return refuse(start, 'a mesh config is a mapping of MeshConfig fields', 'RESOURCE_MALFORMED');
  const result = validateMeshConfig(value, {
    source: { file, line: lineAt(start) },
    fieldLines: recordFieldLines(document.contents, lineAt),
  });
  const inFileOrder = (findings: Finding[]) =>
    limitFindings(
      [...findings].sort((a, b) => (a.source?.line ?? 0) - (b.source?.line ?? 0)),
      file,
    );
  return { ...result, errors: inFileOrder(result.errors), warnings: inFileOrder(result.warnings) };
}
