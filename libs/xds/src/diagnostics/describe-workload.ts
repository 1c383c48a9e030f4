import { mtlsModeForPort, mtlsPolicyForPort, type EffectiveMtlsMode } from '@mesh/policy';
import { labelsMatch, resolveHost, type MeshService, type MeshSnapshot } from '@mesh/registry';

import {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  type MeshSettings,
  type SidecarProxy,
} from '../generation/sidecar/sidecar-context.js';
import { authzCheck, type AppliedPolicy } from './authz-check.js';

/**
 * `meshctl describe pod` (istioctl's `x describe pod`): the services that select a workload, the
 * DestinationRule of each (which subsets the workload is in, its TLS mode) and the VirtualServices
 * that route to it, the mTLS mode its sidecar enforces (the PeerAuthentication evaluation istiod
 * builds the inbound chains with, as tls-check's server side) and the AuthorizationPolicies in its
 * RBAC filters (authz check's listing). Pure, from the snapshot istiod would generate from.
 */

export interface DescribedDestinationRule {
  /** `name.namespace`. */
  name: string;
  matchingSubsets: string[];
  nonMatchingSubsets: string[];
  /** The traffic policy's TLS mode; undefined when it sets none. */
  tlsMode?: string;
  portTls: { port: number; mode: string }[];
}

export interface DescribedVirtualService {
  /** `name.namespace`. */
  name: string;
  httpRoutes: number;
  tcpRoutes: number;
  tlsRoutes: number;
  /** Destinations of this service, as the routes name them (subset, weight). */
  destinations: { subset?: string; weight?: number }[];
  /** Whether any of those destinations can reach this workload (no subset, or a subset it is in). */
  reachesWorkload: boolean;
}

export interface DescribedService {
  host: string;
  ports: { name: string; port: number; protocol: string; targetPort: number }[];
  destinationRule?: DescribedDestinationRule;
  virtualServices: DescribedVirtualService[];
}

export interface WorkloadDescription {
  proxy: string;
  namespace: string;
  services: DescribedService[];
  mtls: {
    mode: EffectiveMtlsMode;
    /** `name.namespace` of the policy that sets the mode; absent: Istio's default PERMISSIVE. */
    setBy?: string;
    ports: { port: number; mode: EffectiveMtlsMode; policy?: string }[];
    /** Every PeerAuthentication that selects the workload (istioctl's `Applied PeerAuthentication`). */
    applied: string[];
  };
  policies: AppliedPolicy[];
}

const ref = (p: { name: string; namespace: string }) => `${p.name}.${p.namespace}`;

function describeDestinationRule(
  view: MeshSnapshot,
  service: MeshService,
  labels: Record<string, string>,
): DescribedDestinationRule | undefined {
  const rule = view.destinationRule(service.hostname);
  if (rule === undefined) return undefined;
  const subsets = rule.spec.subsets ?? [];
  const inSubset = (s: (typeof subsets)[number]) => labelsMatch(s.labels ?? {}, labels);
  const policy = rule.spec.trafficPolicy;
  return {
    name: ref({ name: rule.metadata.name ?? '', namespace: rule.metadata.namespace ?? service.namespace }),
    matchingSubsets: subsets.filter(inSubset).map((s) => s.name),
    nonMatchingSubsets: subsets.filter((s) => !inSubset(s)).map((s) => s.name),
    ...(policy?.tls?.mode === undefined ? {} : { tlsMode: policy.tls.mode }),
    portTls: (policy?.portLevelSettings ?? []).flatMap((p) =>
      p.port?.number !== undefined && p.tls?.mode !== undefined
        ? [{ port: p.port.number, mode: p.tls.mode }]
        : [],
    ),
  };
}

function describeVirtualServices(
  view: MeshSnapshot,
  service: MeshService,
  rule: DescribedDestinationRule | undefined,
): DescribedVirtualService[] {
  return view.virtualServices(service.hostname).map((vs) => {
    const namespace = vs.metadata.namespace ?? service.namespace;
    const routes = [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? []), ...(vs.spec.tls ?? [])];
    const destinations = routes
      .flatMap((r) => r.route ?? [])
      .filter((d) => resolveHost(d.destination.host, namespace) === service.hostname)
      .map((d) => ({
        ...(d.destination.subset === undefined ? {} : { subset: d.destination.subset }),
        ...(d.weight === undefined ? {} : { weight: d.weight }),
      }));
    return {
      name: ref({ name: vs.metadata.name ?? '', namespace }),
      httpRoutes: vs.spec.http?.length ?? 0,
      tcpRoutes: vs.spec.tcp?.length ?? 0,
      tlsRoutes: vs.spec.tls?.length ?? 0,
      destinations,
      reachesWorkload: destinations.some(
        (d) => d.subset === undefined || (rule?.matchingSubsets.includes(d.subset) ?? false),
      ),
    };
  });
}

export function describeWorkload(
  snapshot: MeshSnapshot,
  proxy: SidecarProxy,
  mesh: Partial<MeshSettings> = {},
): WorkloadDescription {
  const settings = { ...DEFAULT_MESH_SETTINGS, ...mesh };
  const context = buildSidecarContext(snapshot, proxy, settings);
  const labels = { ...proxy.labels };
  const services = new Map<string, DescribedService>();
  for (const inbound of context.inboundPorts) {
    const { service } = inbound;
    let described = services.get(service.hostname);
    if (described === undefined) {
      const destinationRule = describeDestinationRule(context.snapshot, service, labels);
      described = {
        host: service.hostname,
        ports: [],
        ...(destinationRule ? { destinationRule } : {}),
        virtualServices: describeVirtualServices(context.snapshot, service, destinationRule),
      };
      services.set(service.hostname, described);
    }
    described.ports.push({
      name: inbound.port.name,
      port: inbound.port.port,
      protocol: inbound.port.protocol,
      targetPort: inbound.targetPort,
    });
  }
  const effective = context.peerAuthentication;
  const ports = [...new Set(context.inboundPorts.map((p) => p.targetPort))].sort((a, b) => a - b);
  return {
    proxy: proxy.id,
    namespace: proxy.namespace,
    services: [...services.values()],
    mtls: {
      mode: effective.mode,
      ...(effective.modeSetBy ? { setBy: ref(effective.modeSetBy) } : {}),
      ports: ports.map((port) => {
        const policy = mtlsPolicyForPort(effective, port);
        return {
          port,
          mode: mtlsModeForPort(effective, port),
          ...(policy ? { policy: ref(policy) } : {}),
        };
      }),
      applied: effective.applied.map(ref),
    },
    policies: authzCheck(snapshot, proxy, undefined, settings).policies,
  };
}
