/**
 * Which cluster a route action or a `tcp_proxy` sends to: one named cluster, or a weighted choice
 * (Envoy's `WeightedClusterEntry` selection, `source/common/router/config_impl.cc`): a random point in
 * [0, total weight) falls into the first entry whose cumulative weight exceeds it, so an entry of
 * weight 0 is never chosen. The cumulative table is built once, when the config is compiled.
 */

export interface ClusterEntry {
  name: string;
  /** The entry's weight; absent for a single, unweighted cluster. */
  weight?: number;
}

export class ClusterChoice<Entry extends ClusterEntry = ClusterEntry> {
  readonly #cumulative: readonly number[];
  readonly #total: number;

  private constructor(
    readonly entries: readonly Entry[],
    /** Whether the choice is weighted (reports then show each cluster's weight). */
    readonly weighted: boolean,
  ) {
    let sum = 0;
    this.#cumulative = entries.map((entry) => (sum += entry.weight ?? 0));
    this.#total = sum;
  }

  /** Always `entry`. */
  static single<E extends ClusterEntry>(entry: E): ClusterChoice<E> {
    return new ClusterChoice([entry], false);
  }

  /** A weighted choice among `entries` (each with its weight). */
  static weighted<E extends ClusterEntry>(entries: readonly E[]): ClusterChoice<E> {
    return new ClusterChoice(entries, true);
  }

  /** The entry a request (or connection) goes to; `random` in [0, 1) (injectable for tests). */
  pick(random: () => number = Math.random): Entry | undefined {
    if (!this.weighted) return this.entries[0];
    const point = random() * this.#total;
    for (let i = 0; i < this.entries.length; i++)
      if (point < (this.#cumulative[i] ?? 0)) return this.entries[i];
    return this.entries.at(-1);
  }

  /** Every cluster the choice can send to, with its weight when weighted (for reports). */
  clusters(): { name: string; weight?: number }[] {
    return this.entries.map(({ name, weight }) => (weight === undefined ? { name } : { name, weight }));
  }
}

/** A `tcp_proxy`'s clusters: `cluster`, or `weighted_clusters` (whose weights are plain numbers). */
export function tcpProxyClusters(config: Record<string, unknown>): ClusterChoice {
  if (typeof config['cluster'] === 'string') return ClusterChoice.single({ name: config['cluster'] });
  const weighted =
    (config['weighted_clusters'] as { clusters?: { name: string; weight?: number }[] } | undefined)
      ?.clusters ?? [];
  return ClusterChoice.weighted(weighted.map((c) => ({ name: c.name, weight: c.weight ?? 0 })));
}
