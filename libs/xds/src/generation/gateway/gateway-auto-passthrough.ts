import type { MeshService, MeshServicePort } from '@mesh/registry';
import { hostMatches } from '@mesh/registry';

import { filterOf, KNOWN_FILTERS } from '../../envoy/known-filters.js';
import { loadAssignment } from '../clusters-and-endpoints.js';
import { istioMtlsSni, outboundCluster, subsetNames } from '../sidecar/clusters/outbound-clusters.js';
import { ALL_ISTIO_MTLS_ALPNS } from '../sidecar/listeners/tls-context.js';
import { serverHostNames } from './gateway-binding.js';
import type { GatewayContext } from './gateway-context.js';
import type { PortServer } from './gateway-servers.js';

/**
 * `AUTO_PASSTHROUGH` servers (multi-network east-west gateways), as istiod builds them
 * (`core/gateway.go` `builtAutoPassthroughFilterChains`, `cluster.go` `buildOutboundSniDnatClusters`):
 * no VirtualService; the client sidecar's mTLS SNI `outbound_.<port>_.<subset>_.<host>` names the
 * destination. One filter chain per (service in the server's hosts, port, subset) matching that SNI and
 * Istio's mTLS ALPNs, tcp-proxied to the SNI-DNAT cluster of the same name: the outbound cluster without
 * TLS origination (the client's mTLS passes through), whose EDS keeps only mTLS endpoints, so nothing
 * reaches a workload without mTLS.
 */

type Obj = Record<string, unknown>;

interface SniTarget {
  service: MeshService;
  port: MeshServicePort;
  subset: string;
  sni: string;
}

/**
 * Mesh-internal services only: MeshService does not carry a ServiceEntry's `location`, so every
 * ServiceEntry counts as `MESH_EXTERNAL` (its default) and Kubernetes Services as internal.
 */
function isMeshInternal(service: MeshService): boolean {
  return service.origin === 'Service';
}

/** Every SNI-DNAT target of the gateway's scope, or those of services within `hosts`. */
function sniTargets(ctx: GatewayContext, hosts?: readonly string[]): SniTarget[] {
  const targets: SniTarget[] = [];
  for (const service of ctx.sidecar.outboundServices) {
    if (!isMeshInternal(service)) continue;
    if (hosts && !hosts.some((h) => hostMatches(h, service.hostname))) continue;
    const subsets = ['', ...subsetNames(ctx.sidecar.snapshot.destinationRule(service.hostname))];
    for (const port of service.ports)
      if (port.protocol !== 'UDP')
        for (const subset of subsets)
          targets.push({ service, port, subset, sni: istioMtlsSni(port.port, subset, service.hostname) });
  }
  return targets;
}

/** The filter chains of one AUTO_PASSTHROUGH server. */
export function autoPassthroughChains(ctx: GatewayContext, entry: PortServer): Obj[] {
  const hosts = serverHostNames(entry.server, entry.gateway.namespace);
  return sniTargets(ctx, hosts).map(({ sni }) => ({
    filter_chain_match: { server_names: [sni], application_protocols: [...ALL_ISTIO_MTLS_ALPNS] },
    filters: [filterOf(KNOWN_FILTERS.tcpProxy, { stat_prefix: sni, cluster: sni })],
  }));
}

/** Whether any server of the gateway is AUTO_PASSTHROUGH (only then does it get SNI-DNAT clusters). */
function hasAutoPassthrough(ctx: GatewayContext): boolean {
  return ctx.ports.some((p) => p.servers.some((s) => s.kind === 'tls-auto-passthrough'));
}

/** The SNI-DNAT clusters: for every mesh-internal service of the scope, as Istio builds them. */
export function sniDnatClusters(ctx: GatewayContext): Obj[] {
  if (!hasAutoPassthrough(ctx)) return [];
  return sniTargets(ctx).map(({ service, port, subset, sni }) => {
    const {
      transport_socket: _socket,
      transport_socket_matches: _matches,
      ...cluster
    } = outboundCluster(ctx.sidecar, service, port, subset);
    const out: Obj = { ...cluster, name: sni };
    const eds = cluster['eds_cluster_config'] as Obj | undefined;
    if (eds) out['eds_cluster_config'] = { ...eds, service_name: sni };
    const inline = cluster['load_assignment'] as Obj | undefined;
    if (inline) out['load_assignment'] = { ...inline, cluster_name: sni };
    return out;
  });
}

function isMtlsEndpoint(lbEndpoint: Obj): boolean {
  const fields = (lbEndpoint['metadata'] as { filter_metadata?: { istio?: { fields?: Obj } } } | undefined)
    ?.filter_metadata?.istio?.fields as { tlsMode?: { string_value?: string } } | undefined;
  return fields?.tlsMode?.string_value === 'istio';
}

/** EDS of the SNI-DNAT clusters (Istio's `EndpointsWithMTLSFilter`): only endpoints that speak mTLS. */
export function sniDnatLoadAssignments(ctx: GatewayContext, names?: ReadonlySet<string>): Obj[] {
  if (!hasAutoPassthrough(ctx)) return [];
  return sniTargets(ctx)
    .filter((t) => t.service.resolution === 'STATIC' && (!names || names.has(t.sni)))
    .map(({ service, port, subset, sni }) => {
      const assignment = loadAssignment(
        ctx.sidecar.snapshot,
        service,
        port,
        subset,
        ctx.sidecar.mesh.rootNamespace,
      );
      const localities = (assignment['endpoints'] as Obj[])
        .map((locality) => {
          const kept = (locality['lb_endpoints'] as Obj[]).filter(isMtlsEndpoint);
          const weight = kept.reduce(
            (sum, e) => sum + ((e['load_balancing_weight'] as { value: number } | undefined)?.value ?? 1),
            0,
          );
          return { ...locality, load_balancing_weight: { value: weight }, lb_endpoints: kept };
        })
        .filter((locality) => locality.lb_endpoints.length > 0);
      return { ...assignment, cluster_name: sni, endpoints: localities };
    });
}
