import type { Finding, FindingCode } from '../validation/finding.js';

/**
 * Bounds on config input, so that a huge or hostile file costs istiod a bounded amount of time,
 * memory and log output (DESIGN.md §12: bounded inputs, linear parsing).
 */

/** A config file above this is refused unread. Generous for hand-written and generated config. */
export const MAX_CONFIG_FILE_BYTES = 10 * 1024 * 1024;

/**
 * A single YAML document above this is refused before it is parsed. Kubernetes cannot store an
 * object larger than etcd's request limit (1.5 MiB by default; kube-apiserver refuses larger
 * writes), so a larger document could never be applied to a cluster either.
 */
export const MAX_DOCUMENT_BYTES = 1.5 * 1024 * 1024;

/**
 * Findings kept per file; the rest are counted in one last finding. Garbage fed to a YAML parser
 * yields an error every few bytes: 50 MB of it once meant 200,000 log lines.
 */
export const MAX_FINDINGS_PER_FILE = 100;

/** `10 MiB`, `1.5 MiB`: limits as people write them. */
function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/** An error about a file or a document in it, before any resource in it is known. */
export function fileFinding(file: string, line: number, message: string, code: FindingCode): Finding {
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

export function oversizeFile(file: string, bytes: number): Finding {
  const limit = formatBytes(MAX_CONFIG_FILE_BYTES);
  return fileFinding(
    file,
    1,
    `the file is ${bytes} bytes, above the limit of ${limit} per config file; split it`,
    'SIZE_LIMIT',
  );
}

export function oversizeDocument(file: string, line: number, bytes: number): Finding {
  const limit = formatBytes(MAX_DOCUMENT_BYTES);
  return fileFinding(
    file,
    line,
    `the document is ${bytes} bytes, above the limit of ${limit} per document (the largest object Kubernetes stores)`,
    'SIZE_LIMIT',
  );
}

const TRUNCATED = /^\.\.\. and (\d+) more findings in this file, not listed$/;

/**
 * The first {@link MAX_FINDINGS_PER_FILE} findings of a file, then one that counts the rest: those
 * past the cap, `dropped` (let go earlier to keep memory bounded) and those an earlier call counted
 * (loading caps its findings, and validation adds more to them).
 */
export function limitFindings(findings: readonly Finding[], file: string, dropped = 0): Finding[] {
  const listed: Finding[] = [];
  let more = dropped;
  for (const finding of findings) {
    const counted = finding.code === 'FINDINGS_TRUNCATED' ? TRUNCATED.exec(finding.message) : null;
    if (counted) more += Number(counted[1]);
    else if (listed.length < MAX_FINDINGS_PER_FILE) listed.push(finding);
    else more++;
  }
  if (more === 0) return listed;
  const line = listed.at(-1)?.source?.line ?? 1;
  return [
    ...listed,
    fileFinding(file, line, `... and ${more} more findings in this file, not listed`, 'FINDINGS_TRUNCATED'),
  ];
}
