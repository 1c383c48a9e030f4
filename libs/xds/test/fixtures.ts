import { once } from 'node:events';

import type { AdsClient, ResourceUpdate } from '../src/index.js';
import { TypeUrl } from '../src/index.js';

/** A valid EDS cluster pointing at ADS. */
export function edsCluster(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    type: 'EDS',
    connect_timeout: { seconds: 1 },
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
    lb_policy: 'ROUND_ROBIN',
    ...extra,
  };
}

export function loadAssignment(clusterName: string, ports: number[]) {
  return {
    cluster_name: clusterName,
    endpoints: [
      {
        locality: { region: 'local' },
        load_balancing_weight: { value: 1 },
        lb_endpoints: ports.map((port) => ({
          endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } },
          load_balancing_weight: { value: 1 },
        })),
      },
    ],
  };
}

export function routeConfig(name: string, clusters: Record<string, number>) {
  return {
    name,
    virtual_hosts: [
      {
        name: 'echo',
        domains: ['*'],
        routes: [
          {
            match: { prefix: '' },
            route: {
              weighted_clusters: {
                clusters: Object.entries(clusters).map(([cluster, weight]) => ({
                  name: cluster,
                  weight: { value: weight },
                })),
              },
            },
          },
        ],
      },
    ],
  };
}

/** An API listener (what proxyless gRPC clients ask for) using RDS. */
export function apiListener(name: string, routeName: string) {
  return {
    name,
    api_listener: {
      api_listener: {
        '@type':
          'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        stat_prefix: name,
        rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
        http_filters: [
          {
            name: 'envoy.filters.http.router',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
          },
        ],
      },
    },
  };
}

export const nameOf = (typeUrl: string, resource: object): string => {
  const r = resource as { name?: string; cluster_name?: string };
  return (typeUrl === TypeUrl.ClusterLoadAssignment ? r.cluster_name : r.name) ?? '';
};

/** Waits until an update of `typeUrl` satisfies `predicate`. */
export async function nextUpdate(
  client: AdsClient,
  typeUrl: string,
  predicate: (u: ResourceUpdate) => boolean = () => true,
  timeoutMs = 5000,
): Promise<ResourceUpdate> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const [update] = (await once(client, 'update', { signal })) as [ResourceUpdate];
    if (update.typeUrl === typeUrl && predicate(update)) return update;
  }
}

/** Polls until `check` returns true. */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
