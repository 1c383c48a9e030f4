import type { MeshEndpoint, MeshService, MeshServicePort, MeshSnapshot } from '@mesh/registry';
import { labelsMatch } from '@mesh/registry';

import { endpointTlsModes } from './endpoint-tls-mode.js';
import { outboundClusterName } from './resource-names.js';

type Obj = Record<string, unknown>;

const ADS = { ads: {}, resource_api_version: 'V3' };

/** The subsets a DestinationRule defines for a host (name → labels). */
export function subsetsOf(snapshot: MeshSnapshot, hostname: string): Map<string, Record<string, string>> {
  const rule = snapshot.destinationRule(hostname);
  return new Map((rule?.spec.subsets ?? []).map((s) => [s.name, s.labels ?? {}]));
}

/** Every outbound cluster of a service port: the service itself and one per DestinationRule subset. */
export function outboundClusterNames(
  snapshot: MeshSnapshot,
  service: MeshService,
  port: MeshServicePort,
): string[] {
  return ['', ...subsetsOf(snapshot, service.hostname).keys()].map((subset) =>
    outboundClusterName(port.port, subset, service.hostname),
  );
}

/**
 * An EDS cluster fed over ADS for a proxyless gRPC client. Round robin whatever the DestinationRule's
 * `simple` policy, as Istio's grpcgen: gRPC's xDS clients reject a cluster with any other `lb_policy`
 * (least request, random), which would leave the client without the service.
 */
export function edsCluster(
  snapshot: MeshSnapshot,
  service: MeshService,
  port: MeshServicePort,
  subset: string,
): Obj {
  const rule = snapshot.destinationRule(service.hostname);
  const name = outboundClusterName(port.port, subset, service.hostname);
  const cluster: Obj = {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS, service_name: name },
    connect_timeout: { seconds: 10 },
    lb_policy: 'ROUND_ROBIN',
  };
  if (rule) {
    const namespace = rule.metadata.namespace ?? 'default';
    cluster['metadata'] = {
      filter_metadata: {
        istio: {
          fields: {
            config: {
              string_value: `/apis/networking.istio.io/v1/namespaces/${namespace}/destination-rule/${rule.metadata.name}`,
            },
          },
        },
      },
    };
  }
  return cluster;
}

function localityOf(endpoint: MeshEndpoint): { region?: string; zone?: string; sub_zone?: string } {
  const [region, zone, subZone] = (endpoint.locality ?? '').split('/');
  return {
    ...(region ? { region } : {}),
    ...(zone ? { zone } : {}),
    ...(subZone ? { sub_zone: subZone } : {}),
  };
}

/**
 * The endpoints of a cluster, grouped by locality (each group weighted by its endpoints, as gRPC's
 * weighted-locality balancing needs), with Istio's `tlsMode` metadata for auto-mTLS (endpoint-tls-mode.ts).
 */
export function loadAssignment(
  snapshot: MeshSnapshot,
  service: MeshService,
  port: MeshServicePort,
  subset: string,
  rootNamespace: string,
): Obj {
  const tlsModeOf = endpointTlsModes(snapshot, service, port, rootNamespace);
  const labels = subset ? subsetsOf(snapshot, service.hostname).get(subset) : undefined;
  const endpoints = snapshot.endpoints(service, port).filter((e) => !labels || labelsMatch(labels, e.labels));
  const byLocality = new Map<string, MeshEndpoint[]>();
  for (const endpoint of endpoints)
    byLocality.set(endpoint.locality ?? '', [...(byLocality.get(endpoint.locality ?? '') ?? []), endpoint]);
  return {
    cluster_name: outboundClusterName(port.port, subset, service.hostname),
    endpoints: [...byLocality.values()].map((group) => ({
      locality: localityOf(group[0] as MeshEndpoint),
      load_balancing_weight: { value: group.reduce((sum, e) => sum + e.weight, 0) },
      lb_endpoints: group.map((e) => {
        const tlsMode = tlsModeOf(e);
        return {
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
          load_balancing_weight: { value: e.weight },
          health_status: 'HEALTHY',
          metadata: {
            filter_metadata: {
              istio: {
                fields: { tlsMode: { string_value: tlsMode }, workload: { string_value: e.workload } },
              },
              'envoy.transport_socket_match': { fields: { tlsMode: { string_value: tlsMode } } },
            },
          },
        };
      }),
    })),
  };
}
