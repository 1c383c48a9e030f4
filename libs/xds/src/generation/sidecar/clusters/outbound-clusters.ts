import type { DestinationRule } from '@mesh/policy';
import type { MeshService, MeshServicePort } from '@mesh/registry';

import { loadAssignment } from '../../clusters-and-endpoints.js';
import { outboundClusterName } from '../../resource-names.js';
import type { SidecarContext } from '../sidecar-context.js';
import {
  applyLoadBalancer,
  applyOutlierDetection,
  circuitBreakers,
  clusterPolicy,
  protoDuration,
  upstreamConnectionOptions,
} from './traffic-policy.js';
import { applyUpstreamTls } from './upstream-tls.js';

type Obj = Record<string, unknown>;

const ADS = { ads: {}, resource_api_version: 'V3' };
const HTTP2_PROTOCOLS = new Set(['HTTP2', 'GRPC', 'GRPC-WEB']);

/**
 * Istio's SNI for in-mesh mTLS (`BuildDNSSrvSubsetKey`): `outbound_.9080_.v1_.reviews.default.svc...`.
 * Gateways in AUTO_PASSTHROUGH mode route on it, so it must have this form.
 */
export function istioMtlsSni(port: number, subset: string, hostname: string): string {
  return `outbound_.${port}_.${subset}_.${hostname}`;
}

/** The subsets of a service's DestinationRule, in the rule's order. */
export function subsetNames(rule: DestinationRule | undefined): string[] {
  return (rule?.spec.subsets ?? []).map((s) => s.name);
}

/** SPIFFE IDs of the service accounts whose workloads serve this port (ISTIO_MUTUAL SAN checks). */
function serviceSans(ctx: SidecarContext, service: MeshService, port: MeshServicePort): string[] {
  const ids = new Set<string>();
  for (const endpoint of ctx.snapshot.endpoints(service, port)) {
    if (!endpoint.serviceAccount) continue;
    const namespace = endpoint.workload.split('/')[0] || service.namespace;
    ids.add(`spiffe://${ctx.mesh.trustDomain}/ns/${namespace}/sa/${endpoint.serviceAccount}`);
  }
  return [...ids].sort();
}

/**
 * Istio's cluster metadata: the service behind the cluster, with a rule where it came from, and for TLS
 * the rule originates `alpn_override: "false"` (Istio's ALPN filter then leaves the ALPN the rule's
 * server negotiates alone instead of offering `istio-*` protocols).
 */
export function clusterMetadata(
  service: MeshService,
  rule: DestinationRule | undefined,
  tlsMode?: string,
): Obj {
  const fields: Obj = {
    services: {
      list_value: {
        values: [
          {
            struct_value: {
              fields: {
                host: { string_value: service.hostname },
                name: { string_value: service.name },
                namespace: { string_value: service.namespace },
              },
            },
          },
        ],
      },
    },
  };
  if (rule) {
    const namespace = rule.metadata.namespace ?? 'default';
    fields['config'] = {
      string_value: `/apis/networking.istio.io/v1/namespaces/${namespace}/destination-rule/${rule.metadata.name}`,
    };
  }
  if (tlsMode === 'SIMPLE' || tlsMode === 'MUTUAL') fields['alpn_override'] = { string_value: 'false' };
  return { filter_metadata: { istio: { fields } } };
}

/** The inline endpoints of a DNS cluster: the ServiceEntry's endpoints, else its host itself. */
function dnsLoadAssignment(
  ctx: SidecarContext,
  service: MeshService,
  port: MeshServicePort,
  subset: string,
): Obj {
  const name = outboundClusterName(port.port, subset, service.hostname);
  if (ctx.snapshot.endpoints(service, port).length > 0)
    return loadAssignment(ctx.snapshot, service, port, subset, ctx.mesh.rootNamespace);
  return {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: service.hostname, port_value: port.port } } },
            load_balancing_weight: { value: 1 },
          },
        ],
      },
    ],
  };
}

/** The discovery part of a cluster, by how the service resolves. */
function discovery(ctx: SidecarContext, service: MeshService, port: MeshServicePort, subset: string): Obj {
  const name = outboundClusterName(port.port, subset, service.hostname);
  switch (service.resolution) {
    case 'STATIC':
      return { name, type: 'EDS', eds_cluster_config: { eds_config: ADS, service_name: name } };
    case 'DNS':
      return {
        name,
        type: 'STRICT_DNS',
        dns_lookup_family: 'V4_ONLY',
        dns_refresh_rate: { seconds: 60 },
        respect_dns_ttl: true,
        load_assignment: dnsLoadAssignment(ctx, service, port, subset),
      };
    case 'NONE':
      return { name, type: 'ORIGINAL_DST' };
  }
}

/** One outbound cluster: `outbound|<port>|<subset>|<host>` with the DestinationRule applied. */
export function outboundCluster(
  ctx: SidecarContext,
  service: MeshService,
  port: MeshServicePort,
  subset: string,
): Obj {
  const rule = ctx.snapshot.destinationRule(service.hostname);
  const policy = clusterPolicy(rule, port.port, subset);
  const cluster: Obj = {
    ...discovery(ctx, service, port, subset),
    connect_timeout: protoDuration(policy.connectionPool?.tcp?.connectTimeout ?? '10s'),
  };
  if (cluster['type'] === 'ORIGINAL_DST') cluster['lb_policy'] = 'CLUSTER_PROVIDED';
  else applyLoadBalancer(cluster, policy.loadBalancer);
  cluster['circuit_breakers'] = circuitBreakers(policy.connectionPool);
  const connectionOptions = upstreamConnectionOptions(policy.connectionPool);
  if (connectionOptions) cluster['upstream_connection_options'] = connectionOptions;
  applyOutlierDetection(cluster, policy.outlierDetection);
  applyUpstreamTls(cluster, policy.tls, {
    sni: istioMtlsSni(port.port, subset, service.hostname),
    serviceSans: serviceSans(ctx, service, port),
    http2: HTTP2_PROTOCOLS.has(port.protocol),
    autoMtls: ctx.mesh.enableAutoMtls && cluster['type'] !== 'ORIGINAL_DST',
    ...(ctx.mesh.tlsDefaults ? { tlsDefaults: ctx.mesh.tlsDefaults } : {}),
  });
  cluster['metadata'] = clusterMetadata(service, rule, policy.tls?.mode);
  return cluster;
}

/** Every outbound cluster of the services the proxy sees: per port, the service and each subset. */
export function outboundClusters(ctx: SidecarContext): Obj[] {
  const clusters: Obj[] = [];
  for (const service of ctx.outboundServices) {
    const subsets = ['', ...subsetNames(ctx.snapshot.destinationRule(service.hostname))];
    for (const port of service.ports)
      for (const subset of subsets) clusters.push(outboundCluster(ctx, service, port, subset));
  }
  return clusters;
}
