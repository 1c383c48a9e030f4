import {
  effectivePeerAuthentication,
  mtlsModeForPort,
  mtlsPolicyForPort,
  type DestinationRule,
  type EffectiveMtlsMode,
} from '@mesh/policy';
import type { MeshEndpoint, MeshService, MeshSnapshot } from '@mesh/registry';

import {
  DEFAULT_MESH_SETTINGS,
  type MeshSettings,
  type SidecarProxy,
} from '../generation/sidecar/sidecar-context.js';
import { parseOutboundClusterName } from '../generation/resource-names.js';
import { isTlsTransportSocket } from '../envoy/known-filters.js';
import type { EnvoyCluster } from '../envoy/envoy-resources.js';
import { clusterEndpoints, upstreamTlsOf } from '../simulation/cluster-endpoints.js';
import { sidecarConfig } from '../simulation/simulate.js';
import type { UpstreamTls } from '../simulation/simulation-types.js';

/**
 * `meshctl tls-check` (istioctl's `authn tls-check`, removed in Istio 1.6, restored): for every outbound
 * cluster a client sidecar is generated, the TLS it originates to each endpoint — read from the cluster
 * istiod generates for it (DestinationRule TLS, port-level settings, auto-mTLS by endpoint label) — and
 * the server's effective PeerAuthentication mode on the endpoint's port (the evaluator istiod builds the
 * server's inbound chains with). Pure: the same snapshot and client always give the same report.
 */

/** The client's TLS mode for a cluster: a DestinationRule mode, or AUTO (auto-mTLS by endpoint). */
export type ClientTlsMode = 'ISTIO_MUTUAL' | 'SIMPLE' | 'MUTUAL' | 'DISABLE' | 'AUTO';

/** The server side of an endpoint: its sidecar's mode, or none when it has no sidecar. */
export type ServerTlsMode = EffectiveMtlsMode | 'NO SIDECAR';

export type TlsCheckStatus = 'OK' | 'CONFLICT' | 'NO ENDPOINTS';

export interface TlsCheckEndpoint {
  address: string;
  /** The port the server's sidecar receives on (the target port). */
  port: number;
  workload: string;
  /** What the client's cluster originates to this endpoint. */
  sends: UpstreamTls;
  server: ServerTlsMode;
  /** `name.namespace` of the PeerAuthentication that sets the server's mode; absent: Istio's default. */
  policy?: string;
  status: 'OK' | 'CONFLICT';
  reason?: string;
}

export interface TlsCheckRow {
  host: string;
  port: number;
  subset: string;
  cluster: string;
  client: ClientTlsMode;
  /** `name.namespace` of the DestinationRule that applies to the host, if any. */
  destinationRule?: string;
  /** Whether the rule's mode comes from a port-level setting for this port. */
  portLevel: boolean;
  endpoints: TlsCheckEndpoint[];
  status: TlsCheckStatus;
}

export interface TlsCheckReport {
  client: { proxy: string; namespace: string; identity: string };
  rows: TlsCheckRow[];
}

/** The mode a cluster's transport socket(s) express, in DestinationRule terms. */
function clientModeOf(cluster: EnvoyCluster): ClientTlsMode {
  if (cluster.transport_socket_matches?.length) return 'AUTO';
  if (!isTlsTransportSocket(cluster.transport_socket)) return 'DISABLE';
  return upstreamTlsOf(cluster.transport_socket) as Exclude<UpstreamTls, 'plaintext'>;
}

function hasPortLevelTls(rule: DestinationRule | undefined, port: number, subset: string): boolean {
  const policies = [
    rule?.spec.trafficPolicy,
    rule?.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy,
  ];
  return policies.some((policy) =>
    policy?.portLevelSettings?.some((p) => p.port?.number === port && p.tls !== undefined),
  );
}

/** Why the client's TLS and the server's mode cannot meet; undefined when they can. */
export function tlsConflict(sends: UpstreamTls, server: ServerTlsMode): string | undefined {
  if (server === 'NO SIDECAR')
    return sends === 'ISTIO_MUTUAL'
      ? 'the client sends Istio mTLS to a workload without a sidecar to terminate it'
      : undefined;
  if (server === 'STRICT' && sends === 'plaintext')
    return 'STRICT server refuses plaintext, and the client sends plaintext';
  if (server === 'STRICT' && sends !== 'ISTIO_MUTUAL')
    return `STRICT server requires Istio mTLS, and the client originates its own TLS (${sends})`;
  if (server === 'DISABLE' && sends === 'ISTIO_MUTUAL')
    return 'the server sidecar does not terminate mTLS (DISABLE), and the client sends Istio mTLS';
  return undefined;
}

function serverSide(
  snapshot: MeshSnapshot,
  service: MeshService,
  endpoint: MeshEndpoint | undefined,
  rootNamespace: string,
): { server: ServerTlsMode; policy?: string } {
  if (endpoint === undefined || endpoint.tlsMode !== 'istio') return { server: 'NO SIDECAR' };
  const effective = effectivePeerAuthentication(
    snapshot.peerAuthentications,
    { namespace: service.namespace, labels: endpoint.labels },
    { rootNamespace },
  );
  const policy = mtlsPolicyForPort(effective, endpoint.port);
  return {
    server: mtlsModeForPort(effective, endpoint.port),
    ...(policy ? { policy: `${policy.name}.${policy.namespace}` } : {}),
  };
}

/** Every outbound cluster of `client` (or those of `host`, and of `port` when given), checked. */
export function tlsCheck(
  snapshot: MeshSnapshot,
  client: SidecarProxy,
  options: { mesh?: Partial<MeshSettings>; host?: string; port?: number } = {},
): TlsCheckReport {
  const mesh = { ...DEFAULT_MESH_SETTINGS, ...options.mesh };
  const config = sidecarConfig(snapshot, client, mesh);
  const view = snapshot.forNamespace(client.namespace, mesh.rootNamespace);
  const rows: TlsCheckRow[] = [];
  for (const [name, cluster] of config.clusters) {
    const parsed = parseOutboundClusterName(name);
    if (parsed === undefined) continue;
    if (options.host !== undefined && parsed.hostname !== options.host) continue;
    if (options.port !== undefined && parsed.port !== options.port) continue;
    const service = snapshot.service(parsed.hostname);
    const servicePort = service?.ports.find((p) => p.port === parsed.port);
    if (service === undefined || servicePort === undefined) continue;
    const known = snapshot.endpoints(service, servicePort);
    const rule = view.destinationRule(parsed.hostname);
    const endpoints = (clusterEndpoints(config, name, { address: '', port: 0 }) ?? []).map((ep) => {
      const meshEndpoint = known.find((k) => k.address === ep.address && k.port === ep.port);
      const server = serverSide(snapshot, service, meshEndpoint, mesh.rootNamespace);
      const reason = tlsConflict(ep.tls, server.server);
      return {
        address: ep.address,
        port: ep.port,
        workload: meshEndpoint?.workload ?? '',
        sends: ep.tls,
        ...server,
        status: reason === undefined ? ('OK' as const) : ('CONFLICT' as const),
        ...(reason === undefined ? {} : { reason }),
      };
    });
    rows.push({
      host: parsed.hostname,
      port: parsed.port,
      subset: parsed.subset,
      cluster: name,
      client: clientModeOf(cluster),
      ...(rule
        ? { destinationRule: `${rule.metadata.name}.${rule.metadata.namespace ?? service.namespace}` }
        : {}),
      portLevel: hasPortLevelTls(rule, parsed.port, parsed.subset),
      endpoints,
      status:
        endpoints.length === 0
          ? 'NO ENDPOINTS'
          : endpoints.some((e) => e.status === 'CONFLICT')
            ? 'CONFLICT'
            : 'OK',
    });
  }
  rows.sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port || a.subset.localeCompare(b.subset));
  return {
    client: {
      proxy: client.id,
      namespace: client.namespace,
      identity: `spiffe://${mesh.trustDomain}/ns/${client.namespace}/sa/${client.serviceAccount}`,
    },
    rows,
  };
}
