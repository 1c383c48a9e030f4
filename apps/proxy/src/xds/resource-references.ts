import {
  edsServiceNameOf,
  type EnvoyTransportSocket,
  filterChainsOf,
  filterConfig,
  KNOWN_FILTERS,
  type EnvoyCluster,
  type EnvoyListener,
} from '@mesh/xds';

import { isIstiodSecretName } from '../tls/sds-secrets.js';

/**
 * What one xDS type names of another: the RDS, EDS and SDS names Envoy subscribes to after LDS and
 * CDS.
 */

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

/** The SDS secrets a TLS transport socket names (its certificate and its validation context). */
function secretNamesOf(socket: EnvoyTransportSocket | undefined): string[] {
  const common = (socket?.typed_config?.['common_tls_context'] ?? {}) as Record<string, unknown>;
  const certificates = (common['tls_certificate_sds_secret_configs'] ?? []) as { name?: string }[];
  const combined = common['combined_validation_context'] as
    { validation_context_sds_secret_config?: { name?: string } } | undefined;
  const validation = (combined?.validation_context_sds_secret_config ??
    common['validation_context_sds_secret_config']) as { name?: string } | undefined;
  return [...certificates.map((c) => c.name), validation?.name].filter((n): n is string => n !== undefined);
}

/**
 * The secrets istiod serves (`kubernetes://...`) that listeners' chains and clusters' transport
 * sockets name; the agent's (`default`, `ROOTCA`) and file secrets are not asked of istiod.
 */
export function sdsNamesOf(
  listeners: readonly EnvoyListener[],
  clusters: readonly EnvoyCluster[],
): Set<string> {
  const sockets: (EnvoyTransportSocket | undefined)[] = [];
  for (const listener of listeners)
    for (const chain of filterChainsOf(listener)) sockets.push(chain.transport_socket);
  for (const cluster of clusters) {
    sockets.push(cluster.transport_socket as EnvoyTransportSocket | undefined);
    for (const match of cluster.transport_socket_matches ?? [])
      sockets.push(match.transport_socket as EnvoyTransportSocket | undefined);
  }
  return new Set(sockets.flatMap(secretNamesOf).filter(isIstiodSecretName));
}
