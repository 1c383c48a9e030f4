import { describe, expect, it } from 'vitest';

import { CompositeConfigStore } from './composite-store.js';
import type { ConfigEvent } from './config-store.js';
import { MemoryConfigStore } from './memory-store.js';

const service = (name: string, port: number) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { ports: [{ port }] },
});

describe('CompositeConfigStore', () => {
  it('reads several sources as one, the first source winning, and passes on every event', () => {
    const files = new MemoryConfigStore();
    const cluster = new MemoryConfigStore();
    const store = new CompositeConfigStore([files, cluster]);
    const events: ConfigEvent[] = [];
    store.subscribe((e) => events.push(e));
    files.put(service('reviews', 9080));
    cluster.put(service('reviews', 1111));
    cluster.put(service('ratings', 9080));
    expect(
      store
        .list('Service')
        .map((c) => `${c.name}:${(c.object['spec'] as { ports: { port: number }[] }).ports[0]!.port}`),
    ).toEqual(['reviews:9080', 'ratings:9080']);
    expect(store.get('Service', 'default', 'ratings')?.name).toBe('ratings');
    expect(events.map((e) => e.type)).toEqual(['add', 'add', 'add']);
    expect(store.status()).toEqual({ synced: true, invalid: [], stale: [] });
  });
});
