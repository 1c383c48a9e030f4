import {
  edsServiceNameOf,
  filterChainsOf,
  filterConfig,
  KNOWN_FILTERS,
  type EnvoyCluster,
  type EnvoyListener,
} from '@mesh/xds';

/** What one xDS type names of another: the RDS and EDS names Envoy subscribes to after LDS and CDS. */

/** Route configurations the listeners' HTTP managers load by RDS. */
export function rdsNamesOf(listeners: readonly EnvoyListener[]): Set<string> {
  const names = new Set<string>();
  for (const listener of listeners)
    for (const chain of filterChainsOf(listener)) {
      const hcm = filterConfig(chain.filters, KNOWN_FILTERS.httpConnectionManager);
      const rds = hcm?.['rds'] as { route_config_name?: string } | undefined;
      if (rds?.route_config_name) names.add(rds.route_config_name);
    }
  return names;
}

/** Load assignments EDS clusters load (`service_name`, else the cluster's name). */
export function edsNamesOf(clusters: readonly EnvoyCluster[]): Set<string> {
  const names = new Set<string>();
  for (const cluster of clusters) if (cluster.type === 'EDS') names.add(edsServiceNameOf(cluster));
  return names;
}
