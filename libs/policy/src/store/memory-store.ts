import { ConfigIndex } from './config-index.js';
import { configKey, type ConfigStore, type ConfigStoreStatus, type StoredConfig } from './config-store.js';

function metadataOf(object: Record<string, unknown>): { name: string; namespace: string } {
  const metadata = (object['metadata'] ?? {}) as { name?: unknown; namespace?: unknown };
  return { name: String(metadata.name ?? ''), namespace: String(metadata.namespace ?? '') };
}

/**
 * A config store held in memory, for tests and for tools that assemble config programmatically.
 * `put` adds or replaces (an update when the object changed), `remove` deletes; subscribers hear
 * each change synchronously.
 */
export class MemoryConfigStore extends ConfigIndex implements ConfigStore {
  private version = 0;

  put(object: Record<string, unknown>): StoredConfig {
    const { name, namespace } = metadataOf(object);
    const kind = String(object['kind'] ?? '');
    const key = configKey(kind, namespace, name);
    const previous = this.configs.get(key);
    if (previous && JSON.stringify(previous.object) === JSON.stringify(object)) return previous;
    const config: StoredConfig = {
      apiVersion: String(object['apiVersion'] ?? ''),
      kind,
      namespace,
      name,
      object,
      resourceVersion: String(++this.version),
    };
    this.configs.set(key, config);
    this.emit(previous ? { type: 'update', config, previous } : { type: 'add', config });
    return config;
  }

  remove(kind: string, namespace: string, name: string): boolean {
    const key = configKey(kind, namespace, name);
    const config = this.configs.get(key);
    if (!config) return false;
    this.configs.delete(key);
    this.emit({ type: 'delete', config });
    return true;
  }

  status(): ConfigStoreStatus {
    return { synced: true, invalid: [], stale: [] };
  }
}
