import { describe, expect, it } from 'vitest';

import type { ConfigEvent } from './config-store.js';
import { MemoryConfigStore } from './memory-store.js';

const vs = (host: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: { hosts: [host] },
});

describe('MemoryConfigStore', () => {
  it('emits add, update (only on change) and delete, and answers list/get', () => {
    const store = new MemoryConfigStore();
    const events: ConfigEvent[] = [];
    store.subscribe((e) => events.push(e));
    store.put(vs('reviews'));
    store.put(vs('reviews')); // unchanged: no event
    store.put(vs('reviews.default.svc.cluster.local'));
    expect(store.get('VirtualService', 'default', 'reviews')?.object).toEqual(
      vs('reviews.default.svc.cluster.local'),
    );
    expect(store.list('VirtualService', 'default')).toHaveLength(1);
    expect(store.list('DestinationRule')).toEqual([]);
    expect(store.remove('VirtualService', 'default', 'reviews')).toBe(true);
    expect(store.remove('VirtualService', 'default', 'reviews')).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['add', 'update', 'delete']);
    const update = events[1] as Extract<ConfigEvent, { type: 'update' }>;
    expect(update.previous.resourceVersion).not.toBe(update.config.resourceVersion);
  });
});
