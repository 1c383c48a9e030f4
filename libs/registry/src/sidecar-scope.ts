/**
 * Istio's Sidecar resource scoping: which Sidecar applies to a proxy and which services its egress
 * listeners import (`egress[].hosts` as `namespace/dnsName`, `egress[].port`). Together with exportTo
 * this gives the services a sidecar proxy can call. Pure functions, no snapshot access.
 */

import type { SidecarSpec } from '@mesh/policy';
import { isExportedTo } from './export-to.js';
import { labelsMatch, type MeshService } from './mesh-model.js';

/** A Sidecar as scoping reads it: where it lives and its spec (the snapshot keeps the namespace). */
export interface SidecarRef {
  namespace: string;
  name: string;
  spec: SidecarSpec;
}

export interface ScopedWorkload {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * The Sidecar that applies to a workload (`sidecars` oldest first): the oldest one in its namespace whose
 * `workloadSelector` matches its labels, else the namespace's selector-less one, else the selector-less
 * one in the root namespace (the mesh default). Undefined: no Sidecar, the proxy sees every visible
 * service.
 */
export function selectSidecar<T extends SidecarRef>(
  sidecars: readonly T[],
  workload: ScopedWorkload,
  rootNamespace: string,
): T | undefined {
  const local = sidecars.filter((s) => s.namespace === workload.namespace);
  return (
    local.find(
      (s) => s.spec.workloadSelector && labelsMatch(s.spec.workloadSelector.labels ?? {}, workload.labels),
    ) ??
    local.find((s) => !s.spec.workloadSelector) ??
    sidecars.find((s) => s.namespace === rootNamespace && !s.spec.workloadSelector)
  );
}

/** One `egress[].hosts` entry: the namespace part (`*`, a name, or undefined for `~`) and the host part. */
export interface EgressHost {
  /** `*` for any namespace, a namespace name, or undefined (`~/`: imports nothing). */
  namespace: string | undefined;
  /** `*`, `*.suffix` or an FQDN. */
  host: string;
  /** `~ns1/*`: what it matches is taken out of what the listener's other hosts import. */
  excluded?: true;
}

/**
 * Parses `namespace/dnsName`. `.` is the proxy's namespace (also for a root-namespace Sidecar applied as
 * the mesh default, as in Istio); an entry without `/` is read as `*\/dnsName`.
 */
export function parseEgressHost(entry: string, proxyNamespace: string): EgressHost {
  const slash = entry.indexOf('/');
  if (slash < 0) return { namespace: '*', host: entry };
  const namespace = entry.slice(0, slash);
  const host = entry.slice(slash + 1);
  if (namespace === '~') return { namespace: undefined, host };
  if (namespace.startsWith('~')) return { namespace: namespace.slice(1), host, excluded: true };
  return { namespace: namespace === '.' ? proxyNamespace : namespace, host };
}

/**
 * Istio's host matching (`host.Name.SubsetOf`): whether every name `hostname` covers is covered by
 * `pattern`. `*` covers everything, `*.example.com` covers `a.example.com`, `a.b.example.com` and the
 * wildcard `*.b.example.com` (but not `example.com`); anything else only itself.
 */
export function hostMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) {
    // `*.b.example.com` → `.b.example.com`, which ends with `.example.com` like `a.example.com` does.
    const name = hostname.startsWith('*') ? hostname.slice(1) : hostname;
    return name.endsWith(pattern.slice(1));
  }
  return pattern === hostname;
}

/** Whether one parsed egress host imports a service (its namespace and host name); an exclusion never does. */
export function egressHostImports(egress: EgressHost, service: MeshService): boolean {
  if (egress.namespace === undefined || egress.excluded) return false;
  if (egress.namespace !== '*' && egress.namespace !== service.namespace) return false;
  return hostMatches(egress.host, service.hostname);
}

/**
 * Whether an egress listener's hosts import a service: one of them imports it and no exclusion
 * (`*\/*` with `~ns1/*`: everything but what ns1 exports, as in Istio) matches it.
 */
export function listenerImports(hosts: readonly EgressHost[], service: MeshService): boolean {
  return (
    hosts.some((host) => egressHostImports(host, service)) &&
    !hosts.some(
      (host) =>
        host.excluded === true &&
        host.namespace === service.namespace &&
        hostMatches(host.host, service.hostname),
    )
  );
}

/** The services visible from a namespace by their exportTo (the order of `services` is kept). */
export function servicesVisibleFrom(services: readonly MeshService[], namespace: string): MeshService[] {
  return services.filter((service) => isExportedTo(service.exportTo, service.namespace, namespace));
}

/**
 * The services a proxy in `proxyNamespace` may call under `sidecar` (undefined: no Sidecar applies):
 * those exported to its namespace and, with a Sidecar, imported by one of its egress listeners. A listener
 * with a port imports only services having that port, narrowed to it; a service imported by several
 * listeners keeps the union of their ports. A Sidecar without egress imports `*\/*` (Istio's default).
 * The order of `services` is kept.
 */
export function scopeOutboundServices(
  services: readonly MeshService[],
  sidecar: Pick<SidecarRef, 'spec'> | undefined,
  proxyNamespace: string,
): MeshService[] {
  const visible = servicesVisibleFrom(services, proxyNamespace);
  const egress = sidecar?.spec.egress ?? [];
  if (egress.length === 0) return visible;
  const listeners = egress.map((listener) => ({
    hosts: listener.hosts.map((entry) => parseEgressHost(entry, proxyNamespace)),
    port: listener.port?.number || undefined,
  }));
  const scoped: MeshService[] = [];
  for (const service of visible) {
    let ports: Set<number> | undefined = new Set();
    for (const listener of listeners) {
      if (!listenerImports(listener.hosts, service)) continue;
      if (listener.port === undefined) {
        ports = undefined; // imported on every port
        break;
      }
      if (service.ports.some((p) => p.port === listener.port)) ports.add(listener.port);
    }
    if (ports === undefined) scoped.push(service);
    else if (ports.size > 0)
      scoped.push({ ...service, ports: service.ports.filter((p) => ports.has(p.port)) });
  }
  return scoped;
}
