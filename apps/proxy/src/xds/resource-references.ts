import type { EnvoyCluster, EnvoyFilterChain, EnvoyListener } from '@mesh/xds';

/** What one xDS type names of another: the RDS and EDS names Envoy subscribes to after LDS and CDS. */

const HCM = 'envoy.filters.network.http_connection_manager';

function chainsOf(listener: EnvoyListener): EnvoyFilterChain[] {
  return [
    ...(listener.filter_chains ?? []),
    ...(listener.default_filter_chain ? [listener.default_filter_chain] : []),
  ];
}

/** Route configurations the listeners' HTTP managers load by RDS. */
export function rdsNamesOf(listeners: readonly EnvoyListener[]): Set<string> {
  const names = new Set<string>();
  for (const listener of listeners)
    for (const chain of chainsOf(listener))
      for (const filter of chain.filters) {
        if (filter.name !== HCM) continue;
        const rds = filter.typed_config?.['rds'] as { route_config_name?: string } | undefined;
        if (rds?.route_config_name) names.add(rds.route_config_name);
      }
  return names;
}

/** Load assignments EDS clusters load (`service_name`, else the cluster's name). */
export function edsNamesOf(clusters: readonly EnvoyCluster[]): Set<string> {
  const names = new Set<string>();
  for (const cluster of clusters) {
    if (cluster.type !== 'EDS') continue;
    const eds = (cluster as { eds_cluster_config?: { service_name?: string } }).eds_cluster_config;
    names.add(eds?.service_name || cluster.name);
  }
  return names;
}
