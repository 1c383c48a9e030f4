import type {
  AuthorizationPolicy,
  DestinationRule,
  PeerAuthentication,
  Sidecar,
  VirtualService,
} from '../api/resources.js';
import { loadYaml } from '../loader/load-yaml.js';
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
  /** Instances by `key=value` of each label and by the ServiceEntry host they are bound to. */
  private readonly instancesByLabel = new Map<string, WorkloadInstance[]>();
  private readonly instancesByHost = new Map<string, WorkloadInstance[]>();
  private readonly virtualServicesByHost = new Map<string, VirtualService[]>();
  private readonly destinationRulesByHost = new Map<string, DestinationRule>();
  /** Security and scoping config, oldest first, for the evaluators and per-proxy generation. */
  readonly peerAuthentications: PeerAuthentication[] = [];
  readonly authorizationPolicies: AuthorizationPolicy[] = [];
  readonly sidecars: Sidecar[] = [];

  constructor(
    configs: readonly StoredConfig[],
    registered: readonly WorkloadInstance[] = [],
    readonly domainSuffix = DEFAULT_DOMAIN_SUFFIX,
  ) {
    const registry = buildRegistry(configs, registered, domainSuffix);
    this.services = registry.services.sort((a, b) => a.hostname.localeCompare(b.hostname));
    this.instances = registry.instances;
    for (const instance of this.instances) {
      if (instance.boundTo !== undefined) push(this.instancesByHost, instance.boundTo, instance);
      else
        for (const [key, value] of Object.entries(instance.labels))
          push(this.instancesByLabel, `${key}=${value}`, instance);
    }
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
      } else if (config.kind === 'PeerAuthentication') {
        this.peerAuthentications.push(config.object as unknown as PeerAuthentication);
      } else if (config.kind === 'AuthorizationPolicy') {
        this.authorizationPolicies.push(config.object as unknown as AuthorizationPolicy);
      } else if (config.kind === 'Sidecar') {
        this.sidecars.push(config.object as unknown as Sidecar);
      } else if (config.kind === 'DestinationRule') {
        const dr = config.object as unknown as DestinationRule;
        const fqdn = resolveHost(dr.spec.host, config.namespace, domainSuffix);
        // The oldest rule for a host wins, as Istio merges only non-conflicting rules.
        if (!this.destinationRulesByHost.has(fqdn)) this.destinationRulesByHost.set(fqdn, dr);
      }
    }
  }

  /**
   * A snapshot from YAML text (what `meshctl` and tests compute config from offline). Documents are
   * taken as written; run validation first when the input is untrusted.
   */
  static fromYaml(
    text: string,
    fileName: string,
    registered: readonly WorkloadInstance[] = [],
  ): MeshSnapshot {
    const configs: StoredConfig[] = loadYaml(text, fileName).resources.map((r, i) => ({
      apiVersion: r.apiVersion,
      kind: r.kind,
      namespace: r.namespace || 'default',
      name: r.name,
      object: r.object,
      resourceVersion: String(i + 1),
      source: r.source,
    }));
    return new MeshSnapshot(configs, registered);
  }

  service(hostname: string): MeshService | undefined {
    return this.byHost.get(hostname);
  }

  endpoints(service: MeshService, port: MeshServicePort): MeshEndpoint[] {
    const key = `${service.hostname}:${port.port}`;
    let endpoints = this.endpointCache.get(key);
    if (!endpoints) {
      endpoints = endpointsOf(service, port, this.candidates(service));
      this.endpointCache.set(key, endpoints);
    }
    return endpoints;
  }

  /**
   * The only instances that can back a service: those bound to it, plus those carrying its selector's
   * first label (an index lookup instead of matching every workload in the mesh).
   */
  private candidates(service: MeshService): readonly WorkloadInstance[] {
    const bound = this.instancesByHost.get(service.hostname) ?? [];
    const first = Object.entries(service.selector ?? {})[0];
    const selected = first ? (this.instancesByLabel.get(`${first[0]}=${first[1]}`) ?? []) : [];
    return bound.length === 0 ? selected : [...bound, ...selected];
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

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
