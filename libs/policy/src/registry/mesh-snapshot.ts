import type { DestinationRule, VirtualService } from '../api/resources.js';
import type { StoredConfig } from '../store/config-store.js';
import { buildRegistry } from './build-registry.js';
import {
  DEFAULT_DOMAIN_SUFFIX,
  endpointsOf,
  resolveHost,
  type MeshEndpoint,
  type MeshService,
  type MeshServicePort,
  type WorkloadInstance,
} from './mesh-model.js';

/**
 * An immutable view of the mesh at one moment: services by host, their endpoints, and the routing
 * config that applies to each host. istiod builds one per (debounced) change and every generator reads
 * from it, so all proxies are computed from the same state.
 */
export class MeshSnapshot {
  readonly services: readonly MeshService[];
  private readonly byHost = new Map<string, MeshService>();
  private readonly endpointCache = new Map<string, MeshEndpoint[]>();
  private readonly instances: readonly WorkloadInstance[];
  private readonly virtualServicesByHost = new Map<string, VirtualService[]>();
  private readonly destinationRulesByHost = new Map<string, DestinationRule>();

  constructor(
    configs: readonly StoredConfig[],
    registered: readonly WorkloadInstance[] = [],
    readonly domainSuffix = DEFAULT_DOMAIN_SUFFIX,
  ) {
    const registry = buildRegistry(configs, registered, domainSuffix);
    this.services = registry.services.sort((a, b) => a.hostname.localeCompare(b.hostname));
    this.instances = registry.instances;
    for (const service of this.services)
      if (!this.byHost.has(service.hostname)) this.byHost.set(service.hostname, service);
    const ordered = [...configs].sort(byCreation);
    for (const config of ordered) {
      if (config.kind === 'VirtualService') {
        const vs = config.object as unknown as VirtualService;
        for (const host of vs.spec.hosts ?? []) {
          const fqdn = resolveHost(host, config.namespace, domainSuffix);
          this.virtualServicesByHost.set(fqdn, [...(this.virtualServicesByHost.get(fqdn) ?? []), vs]);
        }
      } else if (config.kind === 'DestinationRule') {
        const dr = config.object as unknown as DestinationRule;
        const fqdn = resolveHost(dr.spec.host, config.namespace, domainSuffix);
        // The oldest rule for a host wins, as Istio merges only non-conflicting rules.
        if (!this.destinationRulesByHost.has(fqdn)) this.destinationRulesByHost.set(fqdn, dr);
      }
    }
  }

  service(hostname: string): MeshService | undefined {
    return this.byHost.get(hostname);
  }

  endpoints(service: MeshService, port: MeshServicePort): MeshEndpoint[] {
    const key = `${service.hostname}:${port.port}`;
    let endpoints = this.endpointCache.get(key);
    if (!endpoints) {
      endpoints = endpointsOf(service, port, this.instances);
      this.endpointCache.set(key, endpoints);
    }
    return endpoints;
  }

  /** VirtualServices for a host, oldest first (Istio merges them in creation order). */
  virtualServices(hostname: string): readonly VirtualService[] {
    return this.virtualServicesByHost.get(hostname) ?? [];
  }

  destinationRule(hostname: string): DestinationRule | undefined {
    return this.destinationRulesByHost.get(hostname);
  }
}

function byCreation(a: StoredConfig, b: StoredConfig): number {
  const ta = String(
    (a.object['metadata'] as { creationTimestamp?: string } | undefined)?.creationTimestamp ?? '',
  );
  const tb = String(
    (b.object['metadata'] as { creationTimestamp?: string } | undefined)?.creationTimestamp ?? '',
  );
  return ta.localeCompare(tb) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`);
}
