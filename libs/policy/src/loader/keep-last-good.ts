import type { StaleConfig, StoredConfig } from '../store/config-store.js';
import { formatFinding } from '../validation/finding.js';
import type { ParsedFile } from './config-file.js';

export interface FileResources {
  /** The file's resources in force: its valid documents, plus last good versions kept. */
  inForce: Map<string, StoredConfig>;
  /** The last good versions kept, with why. */
  stale: StaleConfig[];
}

/**
 * Fail closed on config (DESIGN.md §12): which of the resources a file defined before stay in force
 * after a new read of it. A resource the new read does not define as a valid document is kept at its
 * last good version when its document is there but invalid, or when the file has errors that hide
 * which resources it defines (a YAML syntax error, a document with no readable identity, a file too
 * large to read). It goes away only when the file parses cleanly without it, or the file is deleted.
 */
export function keepLastGood(previous: ReadonlyMap<string, StoredConfig>, parsed: ParsedFile): FileResources {
  const inForce = new Map(parsed.configs);
  const stale: StaleConfig[] = [];
  for (const [key, config] of previous) {
    if (inForce.has(key)) continue;
    const rejected = parsed.rejected.get(key);
    const why = rejected
      ? `its new version is invalid: ${formatFinding(rejected)}`
      : parsed.hiddenBy
        ? `${parsed.file} has errors that hide which resources it defines: ${formatFinding(parsed.hiddenBy)}`
        : undefined;
    if (why === undefined) continue;
    inForce.set(key, config);
    stale.push({
      kind: config.kind,
      namespace: config.namespace,
      name: config.name,
      source: config.source,
      reason: `${why}; last good version kept`,
    });
  }
  return { inForce, stale };
}
