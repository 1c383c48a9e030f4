import {
  DEFAULT_ROOT_NAMESPACE,
  loadYaml,
  type AuthorizationPolicy,
  type DestinationRule,
  type Gateway,
  type Secret as KubernetesSecret,
  type PeerAuthentication,
  type Sidecar,
  type StoredConfig,
  type VirtualService,
} from '@mesh/policy';
import { buildRegistry } from './build-registry.js';
import { isExportedTo } from './export-to.js';
import {
  DEFAULT_DOMAIN_SUFFIX,
  endpointsOf,
  resolveHost,
  type MeshEndpoint,
  type MeshService,
  type MeshServicePort,
  type WorkloadInstance,
} from './mesh-model.js';
import {
  scopeOutboundServices,
  selectSidecar,
  type ScopedWorkload,
  type SidecarRef,
} from './sidecar-scope.js';

/** Config with the namespace it lives in (the object's metadata may leave it out). */
export interface Namespaced<T> {
  namespace: string;
  config: T;
}

/** The namespace a snapshot view answers for (see `MeshSnapshot.forNamespace`). */
interface Viewer {
  namespace: string;
  rootNamespace: string;
}

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
  /** Oldest first, each with its namespace (exportTo and DestinationRule precedence need it). */
  private readonly virtualServicesByHost = new Map<string, Namespaced<VirtualService>[]>();
  private readonly destinationRulesByHost = new Map<string, Namespaced<DestinationRule>[]>();
  private readonly sidecarRefs: (SidecarRef & { sidecar: Sidecar })[] = [];
  /** Set on views from `forNamespace`: the default namespace of the exportTo-aware lookups. */
  private readonly viewer: Viewer | undefined;
  /** Security and scoping config, oldest first, for the evaluators and per-proxy generation. */
  readonly peerAuthentications: PeerAuthentication[] = [];
  readonly authorizationPolicies: AuthorizationPolicy[] = [];
  readonly sidecars: Sidecar[] = [];
  /**
   * Whether any VirtualService matches on `sourceLabels`: only then do routes depend on the individual
   * proxy beyond its namespace, so generated routes can otherwise be shared per namespace.
   */
  readonly routesDependOnSourceLabels: boolean = false;
  /** Gateways and every VirtualService, each with its namespace, oldest first (gateway generation binds them). */
  readonly gateways: Namespaced<Gateway>[] = [];
  readonly allVirtualServices: Namespaced<VirtualService>[] = [];
  /** Kubernetes Secrets by `<namespace>/<name>` (gateway credentials istiod serves over SDS). */
  private readonly secretsByKey = new Map<string, KubernetesSecret>();

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
        if (usesSourceLabels(vs)) this.routesDependOnSourceLabels = true;
        this.allVirtualServices.push({ namespace: config.namespace, config: vs });
        for (const host of vs.spec.hosts ?? []) {
          const fqdn = resolveHost(host, config.namespace, domainSuffix);
          push(this.virtualServicesByHost, fqdn, { namespace: config.namespace, config: vs });
        }
      } else if (config.kind === 'Gateway') {
        this.gateways.push({ namespace: config.namespace, config: config.object as unknown as Gateway });
      } else if (config.kind === 'PeerAuthentication') {
        this.peerAuthentications.push(config.object as unknown as PeerAuthentication);
      } else if (config.kind === 'AuthorizationPolicy') {
        this.authorizationPolicies.push(config.object as unknown as AuthorizationPolicy);
      } else if (config.kind === 'Sidecar') {
        const sidecar = config.object as unknown as Sidecar;
        this.sidecars.push(sidecar);
        this.sidecarRefs.push({
          namespace: config.namespace,
          name: config.name,
          spec: sidecar.spec,
          sidecar,
        });
      } else if (config.kind === 'DestinationRule') {
        const dr = config.object as unknown as DestinationRule;
        const fqdn = resolveHost(dr.spec.host, config.namespace, domainSuffix);
        push(this.destinationRulesByHost, fqdn, { namespace: config.namespace, config: dr });
      } else if (config.kind === 'Secret' && config.apiVersion === 'v1') {
        this.secretsByKey.set(
          `${config.namespace}/${config.name}`,
          config.object as unknown as KubernetesSecret,
        );
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

  /** Every workload instance of the mesh (pods, WorkloadEntries, registered proxies), for diagnostics. */
  workloadInstances(): readonly WorkloadInstance[] {
    return this.instances;
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

  /**
   * A view of this snapshot from a proxy's namespace: the same data, but `virtualServices` and
   * `destinationRule` default to that namespace, so generators that call them with a host only honour
   * exportTo and DestinationRule precedence. Cheap (shares everything, caches included).
   */
  forNamespace(namespace: string, rootNamespace: string = DEFAULT_ROOT_NAMESPACE): MeshSnapshot {
    const view = Object.create(this) as MeshSnapshot;
    Object.defineProperty(view, 'viewer', { value: { namespace, rootNamespace } satisfies Viewer });
    return view;
  }

  /**
   * VirtualServices for a host, oldest first (Istio merges them in creation order). With a namespace
   * (given, or the view's), only those exported to it; without, all of them.
   */
  virtualServices(hostname: string, fromNamespace = this.viewer?.namespace): readonly VirtualService[] {
    const entries = this.virtualServicesByHost.get(hostname) ?? [];
    return entries
      .filter(
        (e) =>
          fromNamespace === undefined || isExportedTo(e.config.spec.exportTo, e.namespace, fromNamespace),
      )
      .map((e) => e.config);
  }

  /**
   * The DestinationRule for a host. From a namespace (given, or the view's) it is Istio's lookup: the
   * oldest rule exported to that namespace from the namespace itself, else from the service's namespace,
   * else from the root namespace. Without a namespace, the oldest rule for the host anywhere.
   */
  destinationRule(
    hostname: string,
    fromNamespace = this.viewer?.namespace,
    rootNamespace = this.viewer?.rootNamespace ?? DEFAULT_ROOT_NAMESPACE,
  ): DestinationRule | undefined {
    const entries = this.destinationRulesByHost.get(hostname) ?? [];
    if (fromNamespace === undefined) return entries[0]?.config;
    const serviceNamespace = this.byHost.get(hostname)?.namespace;
    for (const namespace of [fromNamespace, serviceNamespace, rootNamespace]) {
      if (namespace === undefined) continue;
      const found = entries.find(
        (e) => e.namespace === namespace && isExportedTo(e.config.spec.exportTo, e.namespace, fromNamespace),
      );
      if (found) return found.config;
    }
    return undefined;
  }

  /** The Kubernetes Secret `namespace/name`, if the snapshot has it (gateway `credentialName`s). */
  secret(namespace: string, name: string): KubernetesSecret | undefined {
    return this.secretsByKey.get(`${namespace}/${name}`);
  }

  /** The Sidecar resource that applies to a workload (see `selectSidecar`), if any. */
  sidecarFor(workload: ScopedWorkload, rootNamespace: string = DEFAULT_ROOT_NAMESPACE): Sidecar | undefined {
    return selectSidecar(this.sidecarRefs, workload, rootNamespace)?.sidecar;
  }

  /**
   * The services a workload's sidecar may call: exported to its namespace and imported by the egress of
   * the Sidecar that applies to it (see `scopeOutboundServices`), ordered by host like `services`.
   */
  outboundServices(workload: ScopedWorkload, rootNamespace: string = DEFAULT_ROOT_NAMESPACE): MeshService[] {
    const sidecar = selectSidecar(this.sidecarRefs, workload, rootNamespace);
    return scopeOutboundServices(this.services, sidecar, workload.namespace);
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

function usesSourceLabels(vs: VirtualService): boolean {
  const rules = [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? []), ...(vs.spec.tls ?? [])] as {
    match?: { sourceLabels?: object }[];
  }[];
  return rules.some((rule) => (rule.match ?? []).some((m) => Object.keys(m.sourceLabels ?? {}).length > 0));
}
