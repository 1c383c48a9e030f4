import { annotationsOf, list, record, specOf, type AnalysisContext } from './analysis-context.js';
import type { AnalysisResource } from './analysis-input.js';

/**
 * Which hosts exist, as Istio's analyzers look them up (`analyzers/util/service_lookup.go`,
 * `hosts.go`): ServiceEntry hosts and Kubernetes Services, each visible in the namespaces its
 * `exportTo` names, keyed by scope and FQDN.
 */

const KUBERNETES_DOMAIN = 'svc.cluster.local';
const EXPORT_TO_ALL = '*';
const EXPORT_TO_LOCAL = '.';
const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/** A host that exists: its ports, and the workload selector of the ServiceEntry that defines it. */
export interface ServiceHost {
  resource: AnalysisResource;
  ports: readonly { number: number; name?: string; protocol?: string }[];
  workloadSelector: Readonly<Record<string, string>>;
}

/** Istio's `ConvertHostToFQDN`: a short name (no dot, no wildcard) is a Service of `namespace`. */
export function toFqdn(namespace: string, host: string): string {
  return host.startsWith('*') || host.includes('.') ? host : `${host}.${namespace}.${KUBERNETES_DOMAIN}`;
}

/** Istio's `ScopedFqdn`: the namespace a host is visible in (`*` for all), and its FQDN. */
export function scopedFqdn(scope: string, namespace: string, host: string): string {
  return `${scope}/${toFqdn(namespace, host)}`;
}

const FQDN = /^(.+)\.(.+)\.svc\.cluster\.local$/;

/** Istio's `GetResourceNameFromHost`: the Service a host names (`name.ns.svc.cluster.local` or short). */
export function serviceNameOf(namespace: string, host: string): { namespace: string; name: string } {
  const match = FQDN.exec(host);
  return match ? { namespace: match[2] as string, name: match[1] as string } : { namespace, name: host };
}

export function serviceHosts(ctx: AnalysisContext): Map<string, ServiceHost> {
  const hosts = new Map<string, ServiceHost>();
  for (const resource of ctx.ofKind('ServiceEntry')) {
    const spec = specOf(resource, 'ServiceEntry');
    const entry: ServiceHost = {
      resource,
      ports: spec.ports ?? [],
      workloadSelector: spec.workloadSelector?.labels ?? {},
    };
    const exportTo = spec.exportTo ?? [];
    const scopes =
      exportTo.length === 0 || exportTo.includes(EXPORT_TO_ALL)
        ? [EXPORT_TO_ALL]
        : exportTo.map((ns) => (ns === EXPORT_TO_LOCAL ? resource.namespace : ns));
    for (const host of spec.hosts ?? [])
      for (const scope of scopes) hosts.set(scopedFqdn(scope, resource.namespace, host), entry);
  }
  for (const resource of ctx.ofKind('Service')) {
    const ports = list(record(resource.object['spec'])['ports']).map((value) => {
      const port = record(value);
      return {
        number: typeof port['port'] === 'number' ? port['port'] : 0,
        ...(typeof port['name'] === 'string' ? { name: port['name'] } : {}),
        ...(typeof port['protocol'] === 'string' ? { protocol: port['protocol'] } : {}),
      };
    });
    const entry: ServiceHost = { resource, ports, workloadSelector: {} };
    const annotation = annotationsOf(resource)[EXPORT_TO_ANNOTATION];
    const scopes =
      annotation === undefined || annotation === ''
        ? [EXPORT_TO_ALL]
        : annotation.split(',').map((ns) => (ns === EXPORT_TO_LOCAL ? resource.namespace : ns));
    for (const scope of scopes) hosts.set(scopedFqdn(scope, resource.namespace, resource.name), entry);
  }
  return hosts;
}

/**
 * Istio's `GetDestinationHost`: the service a host names, as seen from `namespace` by a resource with
 * `exportTo`: hosts exported to all namespaces, then to the resource's, then wildcard hosts.
 */
export function lookupHost(
  hosts: ReadonlyMap<string, ServiceHost>,
  namespace: string,
  exportTo: readonly string[],
  host: string,
): ServiceHost | undefined {
  const all = hosts.get(scopedFqdn(EXPORT_TO_ALL, namespace, host));
  if (all !== undefined) return all;
  const scopes =
    exportTo.length === 0 ? [namespace] : exportTo.map((e) => (e === EXPORT_TO_LOCAL ? namespace : e));
  for (const scope of scopes) {
    const scoped = hosts.get(scopedFqdn(scope, namespace, host));
    if (scoped !== undefined) return scoped;
  }
  const bare = host.startsWith('*') ? host.slice(1) : host;
  for (const [key, service] of hosts) {
    const slash = key.indexOf('/');
    const scope = key.slice(0, slash);
    const fqdn = key.slice(slash + 1);
    if (!fqdn.startsWith('*')) continue;
    if (scope !== EXPORT_TO_ALL && scope !== namespace) continue;
    if (bare.endsWith(fqdn.slice(1))) return service;
  }
  return undefined;
}
