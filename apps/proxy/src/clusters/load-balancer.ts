import { createHash } from 'node:crypto';

/**
 * Envoy's load-balancing policies over a cluster's healthy endpoints. LEAST_REQUEST is Envoy's
 * power-of-two-choices: two random endpoints, the one with fewer active requests wins. RING_HASH and
 * MAGLEV (consistent hash) send equal keys to the same endpoint and move few keys when endpoints
 * change (rendezvous hashing here, not Envoy's ring: the assignment differs, the guarantees hold);
 * without a key they pick at random, as Envoy does.
 */

function weight(key: string, endpoint: string): number {
  return createHash('sha1').update(key).update('\0').update(endpoint).digest().readUInt32BE(0);
}

export type LbPolicy =
  'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED';

export class LoadBalancer {
  #next = 0;

  constructor(
    readonly policy: LbPolicy,
    private readonly active: ReadonlyMap<string, number>,
    private readonly random: () => number = Math.random,
  ) {}

  choose<T extends { key: string }>(endpoints: readonly T[], hashKey?: string): T | undefined {
    if (endpoints.length <= 1) return endpoints[0];
    switch (this.policy) {
      case 'RING_HASH':
      case 'MAGLEV': {
        if (hashKey === undefined) return endpoints[Math.floor(this.random() * endpoints.length)];
        let best = endpoints[0] as T;
        let bestWeight = -1;
        for (const endpoint of endpoints) {
          const w = weight(hashKey, endpoint.key);
          if (w > bestWeight) [best, bestWeight] = [endpoint, w];
        }
        return best;
      }
      case 'RANDOM':
        return endpoints[Math.floor(this.random() * endpoints.length)];
      case 'LEAST_REQUEST': {
        const a = endpoints[Math.floor(this.random() * endpoints.length)] as T;
        const b = endpoints[Math.floor(this.random() * endpoints.length)] as T;
        return (this.active.get(b.key) ?? 0) < (this.active.get(a.key) ?? 0) ? b : a;
      }
      default: {
        const endpoint = endpoints[this.#next % endpoints.length];
        this.#next = (this.#next + 1) % 1_000_000_007;
        return endpoint;
      }
    }
  }
}
