import type { ConfigEvent, ConfigStore, ConfigStoreStatus, StoredConfig } from './config-store.js';

/**
 * Several config sources read as one (a config directory plus a Kubernetes cluster, say). Lookups
 * ask the sources in order, so the first one that has an object wins; events from every source are
 * passed on as they come.
 */
export class CompositeConfigStore implements ConfigStore {
  constructor(private readonly stores: readonly ConfigStore[]) {}

  list(kind?: string, namespace?: string): StoredConfig[] {
    const seen = new Set<string>();
    const out: StoredConfig[] = [];
    for (const store of this.stores) {
      for (const config of store.list(kind, namespace)) {
        const key = `${config.kind}/${config.namespace}/${config.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(config);
      }
    }
    return out;
  }

  get(kind: string, namespace: string, name: string): StoredConfig | undefined {
    for (const store of this.stores) {
      const config = store.get(kind, namespace, name);
      if (config) return config;
    }
    return undefined;
  }

  subscribe(handler: (event: ConfigEvent) => void): () => void {
    const unsubscribes = this.stores.map((store) => store.subscribe(handler));
    return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
  }

  status(): ConfigStoreStatus {
    const statuses = this.stores.map((store) => store.status());
    return {
      synced: statuses.every((s) => s.synced),
      invalid: statuses.flatMap((s) => s.invalid),
      stale: statuses.flatMap((s) => s.stale),
    };
  }
}
