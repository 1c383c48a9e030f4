import { configKey, type ConfigEvent, type StoredConfig } from './config-store.js';

/**
 * The part every config store shares: the current objects by key, lookups, and subscribers. Stores
 * differ only in how they learn about changes (memory calls, a watched directory, API server watches).
 */
export abstract class ConfigIndex {
  protected configs = new Map<string, StoredConfig>();
  private readonly handlers = new Set<(event: ConfigEvent) => void>();

  list(kind?: string, namespace?: string): StoredConfig[] {
    return [...this.configs.values()].filter(
      (c) =>
        (kind === undefined || c.kind === kind) && (namespace === undefined || c.namespace === namespace),
    );
  }

  get(kind: string, namespace: string, name: string): StoredConfig | undefined {
    return this.configs.get(configKey(kind, namespace, name));
  }

  subscribe(handler: (event: ConfigEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  protected emit(event: ConfigEvent): void {
    for (const handler of this.handlers) handler(event);
  }
}
