import { isIP } from 'node:net';

import { filterConfig, KNOWN_FILTERS, type EnvoyListener, type ProxyConfig } from '@mesh/xds';

/**
 * Explicit mode has no iptables and no service VIPs in DNS: an application asks its sidecar for
 * `reviews:9080` or `mysql.db:3306` by name. This resolves a name the way the sidecar's DNS proxy
 * would (Istio's name table): the Kubernetes search domains of the proxy's namespace, then the
 * address of the outbound listener that serves that service on that port. HTTP ports share the
 * `0.0.0.0_<port>` listener and are routed by Host, so the name itself is kept.
 */

/** `name`, `name.ns`, `name.ns.svc`, ... expanded as a pod's resolv.conf search list would. */
export function searchCandidates(host: string, namespace: string, domainSuffix = 'cluster.local'): string[] {
  const name = host.toLowerCase().replace(/\.$/, '');
  const dots = name.split('.').length - 1;
  const candidates = [
    `${name}.${namespace}.svc.${domainSuffix}`,
    `${name}.svc.${domainSuffix}`,
    `${name}.${domainSuffix}`,
    name,
  ];
  // ndots:5, as in pods: names with fewer dots try the search list first.
  return dots >= 5 ? [name, ...candidates.slice(0, 3)] : candidates;
}

function tcpClusterOf(listener: EnvoyListener): string[] {
  return (listener.filter_chains ?? []).flatMap((chain) => {
    const tcp = filterConfig(chain.filters, KNOWN_FILTERS.tcpProxy) as
      | { cluster?: string; stat_prefix?: string; weighted_clusters?: { clusters?: { name?: string }[] } }
      | undefined;
    const weighted = (tcp?.weighted_clusters?.clusters ?? []).map((c) => c.name);
    return [tcp?.cluster, tcp?.stat_prefix, ...weighted].filter((c): c is string => typeof c === 'string');
  });
}

export function resolveExplicitDestination(
  config: ProxyConfig,
  host: string,
  port: number,
  namespace: string,
): { address: string; port: number } {
  if (isIP(host)) return { address: host, port };
  const byPort = config.listeners.filter(
    (l) => l.address?.socket_address?.port_value === port && l.use_original_dst?.value !== true,
  );
  for (const fqdn of searchCandidates(host, namespace)) {
    // `outbound|<port>|<subset>|<fqdn>`: a tcp route may send to subsets of the service.
    const serves = (c: string) => {
      const [, clusterPort, , clusterHost] = c.split('|');
      return clusterPort === String(port) && clusterHost === fqdn;
    };
    const tcp = byPort.find((l) => tcpClusterOf(l).some(serves));
    const address = tcp?.address?.socket_address?.address;
    if (address && address !== '0.0.0.0') return { address, port };
  }
  return { address: host, port };
}
