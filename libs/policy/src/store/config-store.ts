import { findingOrigin, type Finding, type SourceLocation } from '../validation/finding.js';

/**
 * One config object as the mesh holds it, whatever its source (a directory of YAML, the Kubernetes
 * API, memory). `kind` alone identifies the type: the Istio and Kubernetes kinds the mesh reads have
 * distinct names.
 */
export interface StoredConfig {
  apiVersion: string;
  kind: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  name: string;
  /** The object as written (metadata, spec, ...). */
  object: Record<string, unknown>;
  /** Changes on every update; opaque. */
  resourceVersion: string;
  /** Where it was read from, when it came from a file. */
  source?: SourceLocation;
}

export type ConfigEvent =
  | { type: 'add'; config: StoredConfig }
  | { type: 'update'; config: StoredConfig; previous: StoredConfig }
  | { type: 'delete'; config: StoredConfig };

/**
 * An object whose source now holds an invalid or unreadable version, so the last good version stays
 * in force (fail closed: a typo must not delete an ALLOW policy). It goes away only with a valid
 * change or an explicit deletion.
 */
export interface StaleConfig {
  kind: string;
  namespace: string;
  name: string;
  /** Where the version in force was read from, when it came from a file. */
  source?: SourceLocation;
  /** Why the newer version is not in force, ending in "last good version kept". */
  reason: string;
}

/** `Kind namespace/name (file:line): reason`: a stale object in logs, `/debug/configz` readers and status. */
export function formatStale(stale: StaleConfig): string {
  const where = stale.source ? ` (${stale.source.file}:${stale.source.line})` : '';
  return `${findingOrigin(stale)}${where}: ${stale.reason}`;
}

export interface ConfigStoreStatus {
  /** The initial load (or list) has completed; before that, `list` may be incomplete. */
  synced: boolean;
  /** Objects currently skipped because they are invalid, with why (shown in status and metrics). */
  invalid: Finding[];
  /** Objects whose last good version is kept while their current version is invalid. */
  stale: StaleConfig[];
}

/**
 * The single interface istiod reads config through (DESIGN.md §5): a file store for the local
 * platform, a Kubernetes store on clusters, a memory store for tests.
 */
export interface ConfigStore {
  list(kind?: string, namespace?: string): StoredConfig[];
  get(kind: string, namespace: string, name: string): StoredConfig | undefined;
  /** Calls `handler` for every later change; returns the function that unsubscribes. */
  subscribe(handler: (event: ConfigEvent) => void): () => void;
  status(): ConfigStoreStatus;
}

/** The map key of a config object. */
export function configKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Events that turn the `before` set into the `after` set (both keyed by {@link configKey}). */
export function diffConfigs(
  before: ReadonlyMap<string, StoredConfig>,
  after: ReadonlyMap<string, StoredConfig>,
): ConfigEvent[] {
  const events: ConfigEvent[] = [];
  for (const [key, config] of after) {
    const previous = before.get(key);
    if (!previous) events.push({ type: 'add', config });
    else if (previous.resourceVersion !== config.resourceVersion)
      events.push({ type: 'update', config, previous });
  }
  for (const [key, config] of before) if (!after.has(key)) events.push({ type: 'delete', config });
  return events;
}
