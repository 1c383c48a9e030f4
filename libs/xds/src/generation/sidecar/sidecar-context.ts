import {
  buildAuthorizationModel,
  DEFAULT_MESH_CONFIG,
  effectivePeerAuthentication,
  type AuthorizationModel,
  type EffectivePeerAuthentication,
  type MeshTlsConfig,
  type OutboundTrafficPolicyMode,
  type ResolvedMeshConfig,
} from '@mesh/policy';
import { serviceSelects, type MeshService, type MeshServicePort, type MeshSnapshot } from '@mesh/registry';

import type { XdsNodeInfo } from '../../server/resource-source.js';

/** Mesh-wide settings that shape sidecar config (Istio's MeshConfig; defaults are Istio's). */
export interface MeshSettings {
  trustDomain: string;
  rootNamespace: string;
  enableAutoMtls: boolean;
  outboundTrafficPolicy: OutboundTrafficPolicyMode;
  /** MeshConfig `meshMTLS`: versions and cipher suites of inbound mTLS; unset means Istio's defaults. */
  meshMtls?: MeshTlsConfig;
  /** MeshConfig `tlsDefaults`: curves and cipher suites of TLS a DestinationRule originates. */
  tlsDefaults?: MeshTlsConfig;
}

/** The settings a MeshConfig (Istio's defaults applied) gives sidecar generation. */
export function meshSettingsOf(config: ResolvedMeshConfig): MeshSettings {
  return {
    trustDomain: config.trustDomain,
    rootNamespace: config.rootNamespace,
    enableAutoMtls: config.enableAutoMtls,
    outboundTrafficPolicy: config.outboundTrafficPolicy.mode,
    ...(config.meshMTLS ? { meshMtls: config.meshMTLS } : {}),
    ...(config.tlsDefaults ? { tlsDefaults: config.tlsDefaults } : {}),
  };
}

export const DEFAULT_MESH_SETTINGS: MeshSettings = meshSettingsOf(DEFAULT_MESH_CONFIG);

/** The workload a sidecar fronts, from the node metadata Istio's agent sends (DESIGN §2, istio-facts §7.4). */
export interface SidecarProxy {
  id: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  ipAddresses: readonly string[];
  serviceAccount: string;
  /**
   * A gRPC application with an xDS client rather than an Envoy (Istio's `IsProxylessGrpc`): it reads
   * `max_stream_duration`, not `max_grpc_timeout`, and runs no filter but fault and router.
   */
  proxylessGrpc?: boolean;
}

/** One port this workload serves: a port of a service selecting it, resolved to the container port. */
export interface InboundPort {
  service: MeshService;
  port: MeshServicePort;
  /** The port the application listens on (the inbound cluster `inbound|<targetPort>||` points at it). */
  targetPort: number;
}

/**
 * Everything sidecar generation needs for one proxy, computed once per (proxy, snapshot): the pure
 * builders for CDS, LDS and RDS all read it, so they agree on what the proxy sees and serves.
 */
export interface SidecarContext {
  proxy: SidecarProxy;
  /**
   * The snapshot as seen from the proxy's namespace (`MeshSnapshot.forNamespace`): its VirtualService and
   * DestinationRule lookups honour exportTo and Istio's DestinationRule namespace precedence.
   */
  snapshot: MeshSnapshot;
  mesh: MeshSettings;
  /**
   * Services this proxy may call: those exported to its namespace (exportTo) and imported by the egress
   * listeners of the Sidecar resource that applies to it (ports narrowed by `egress[].port`).
   */
  outboundServices: readonly MeshService[];
  inboundPorts: readonly InboundPort[];
  peerAuthentication: EffectivePeerAuthentication;
  authorization: AuthorizationModel;
}

/** Istio's proxyless gRPC bootstrap marks its node with this metadata (ISTIO_META_GENERATOR=grpc). */
export function isProxylessGrpc(node: XdsNodeInfo): boolean {
  return node.metadata['GENERATOR'] === 'grpc';
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The proxy a node describes (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local` plus metadata): a sidecar,
 * or a proxyless gRPC client, which Istio's bootstrap identifies the same way.
 */
export function sidecarProxyOf(node: XdsNodeInfo): SidecarProxy {
  const m = node.metadata;
  const [, ip, podDotNamespace] = node.id.split('~');
  const namespace =
    stringValue(m['NAMESPACE']) ?? podDotNamespace?.split('.').slice(1).join('.') ?? 'default';
  const labels = (
    m['LABELS'] && typeof m['LABELS'] === 'object' && !Array.isArray(m['LABELS']) ? m['LABELS'] : {}
  ) as Record<string, string>;
  const ips =
    stringValue(m['INSTANCE_IPS'])
      ?.split(',')
      .map((s) => s.trim()) ?? (ip ? [ip] : []);
  return {
    id: node.id,
    namespace,
    labels,
    ipAddresses: ips,
    serviceAccount: stringValue(m['SERVICE_ACCOUNT']) ?? 'default',
    ...(isProxylessGrpc(node) ? { proxylessGrpc: true } : {}),
  };
}

/** The ports this workload serves: each port of a service selecting it, one per target port. */
function inboundPortsOf(snapshot: MeshSnapshot, proxy: SidecarProxy): InboundPort[] {
  const inboundPorts: InboundPort[] = [];
  for (const service of snapshot.services) {
    if (service.origin === 'Service' && service.namespace !== proxy.namespace) continue;
    if (!serviceSelects(service.selector, { ...proxy.labels })) continue;
    for (const port of service.ports) {
      const targetPort = typeof port.targetPort === 'number' ? port.targetPort : port.port;
      if (!inboundPorts.some((p) => p.targetPort === targetPort))
        inboundPorts.push({ service, port, targetPort });
    }
  }
  return inboundPorts;
}

export function buildSidecarContext(
  snapshot: MeshSnapshot,
  proxy: SidecarProxy,
  mesh: MeshSettings = DEFAULT_MESH_SETTINGS,
): SidecarContext {
  const workload = { namespace: proxy.namespace, labels: proxy.labels };
  let inboundPorts: readonly InboundPort[] | undefined;
  return {
    proxy,
    snapshot: snapshot.forNamespace(proxy.namespace, mesh.rootNamespace),
    mesh,
    outboundServices: snapshot.outboundServices(workload, mesh.rootNamespace),
    // On first use: finding the services that select a workload walks every service of the mesh, and a
    // proxyless gRPC client, which serves nothing through istiod's config, never asks.
    get inboundPorts() {
      return (inboundPorts ??= inboundPortsOf(snapshot, proxy));
    },
    peerAuthentication: effectivePeerAuthentication(snapshot.peerAuthentications, workload, {
      rootNamespace: mesh.rootNamespace,
    }),
    authorization: buildAuthorizationModel(snapshot.authorizationPolicies, workload, {
      rootNamespace: mesh.rootNamespace,
    }),
  };
}
