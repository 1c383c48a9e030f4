import type { MeshSnapshot } from '@mesh/registry';

import { resourceTypeFor } from '../../resources/registry.js';
import {
  prepareResource,
  type PreparedResource,
  type ResourceRequest,
  type XdsNodeInfo,
} from '../../server/resource-source.js';
import { TypeUrl } from '../../type-urls.js';
import { generateProxyless } from '../proxyless-generator.js';
import {
  composeSidecarClusters,
  generateSidecarLocalClusters,
  generateSidecarOutboundClusters,
} from '../sidecar/clusters/sidecar-clusters.js';
import { generateSidecarLoadAssignments } from '../sidecar/clusters/sidecar-load-assignments.js';
import {
  composeSidecarListeners,
  generateSidecarOwnListeners,
  generateSidecarSharedListeners,
  type SidecarOwnListeners,
} from '../sidecar/listeners/sidecar-listeners.js';
import { generateSidecarRoutes } from '../sidecar/routes/sidecar-routes.js';
import {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  sidecarProxyOf,
  type MeshSettings,
  type SidecarContext,
  type SidecarProxy,
} from '../sidecar/sidecar-context.js';

/**
 * Hears about a resource left out of a push: it could not be generated or encoded. The client keeps what
 * it had for it instead of the whole push failing.
 */
export type GenerationErrorReporter = (what: string, error: Error) => void;

/** Prepared resources of one snapshot by `<type URL> <name>`; null marks a name that produced nothing. */
export type NamedResources = Map<string, PreparedResource | null>;

/** A proxy being served: its context, and the keys under which it shares resources with its scope. */
interface ServedProxy {
  ctx: SidecarContext;
  scope: string;
  routeScope: string;
}

/**
 * The config served to sidecars and proxyless gRPC clients from one mesh snapshot and MeshConfig's
 * settings: a new cache per snapshot. What depends only on a proxy's scope — its namespace and the
 * Sidecar resource that applies (plus its labels, when some VirtualService matches on `sourceLabels`) —
 * is generated and encoded once per scope and name and shared: outbound clusters, endpoints, per-port
 * outbound listeners and routes, and everything a proxyless client gets. Only the virtual listeners,
 * declared listeners and inbound clusters are built per proxy. A thousand sidecars in one namespace
 * cost about one. Each proxy gets exactly what `generateSidecar` / `generateProxyless` would give it
 * alone, in the same order (the compose functions are shared).
 */
export class SidecarServingCache {
  /** Per node: its context and the keys of what it shares, computed once. */
  private readonly proxies = new Map<string, ServedProxy>();
  /** Per namespace and labels: the context proxyless clients alike share. */
  private readonly proxylessAlike = new Map<string, ServedProxy>();
  private readonly lists = new Map<string, PreparedResource[]>();
  private readonly named = new Map<string, NamedResources>();

  /** `onError` hears about each resource left out because it could not be generated or encoded. */
  constructor(
    readonly snapshot: MeshSnapshot,
    readonly mesh: MeshSettings = DEFAULT_MESH_SETTINGS,
    private readonly onError: GenerationErrorReporter = () => undefined,
  ) {}

  /** What a sidecar, or a proxyless gRPC client (node metadata GENERATOR=grpc), gets for a request. */
  resources(request: ResourceRequest): PreparedResource[] {
    const proxy = this.proxy(request.connection.node);
    return proxy.ctx.proxy.proxylessGrpc ? this.proxyless(proxy, request) : this.sidecar(proxy, request);
  }

  private sidecar({ ctx, scope, routeScope }: ServedProxy, request: ResourceRequest): PreparedResource[] {
    const names = request.only ?? request.names;
    const wildcard = request.wildcard && request.only === undefined;
    const pick = (resources: PreparedResource[]) =>
      wildcard ? resources : resources.filter((r) => names.has(r.name));
    switch (request.typeUrl) {
      case TypeUrl.Cluster:
        return pick(
          composeSidecarClusters(
            this.list(`${scope} CDS`, TypeUrl.Cluster, () => generateSidecarOutboundClusters(ctx)),
            this.prepare(TypeUrl.Cluster, () => generateSidecarLocalClusters(ctx)),
          ),
        );
      case TypeUrl.Listener: {
        // The shared listeners carry VirtualServices' TCP and TLS routes, which may match on source labels.
        const shared = this.list(`${routeScope} LDS`, TypeUrl.Listener, () =>
          generateSidecarSharedListeners(ctx),
        );
        return pick(composeSidecarListeners(this.ownListeners(ctx), shared, (r) => r.name));
      }
      case TypeUrl.ClusterLoadAssignment:
        return wildcard
          ? this.list(`${scope} EDS*`, request.typeUrl, () => generateSidecarLoadAssignments(ctx))
          : this.byName(`${scope} EDS`, request.typeUrl, names, (missing) =>
              generateSidecarLoadAssignments(ctx, missing),
            );
      case TypeUrl.RouteConfiguration:
        return wildcard
          ? this.list(`${routeScope} RDS*`, request.typeUrl, () => generateSidecarRoutes(ctx))
          : this.byName(`${routeScope} RDS`, request.typeUrl, names, (missing) =>
              generateSidecarRoutes(ctx, missing),
            );
      default:
        return [];
    }
  }

  /** A proxyless client sees what a sidecar in its place would: all it gets is shared per scope. */
  private proxyless({ ctx, routeScope }: ServedProxy, request: ResourceRequest): PreparedResource[] {
    const key = `${routeScope} grpc ${request.typeUrl}`;
    const generate = (names?: ReadonlySet<string>) =>
      generateProxyless(ctx, { typeUrl: request.typeUrl, wildcard: !names, names: names ?? new Set() });
    return request.wildcard && request.only === undefined
      ? this.list(`${key}*`, request.typeUrl, () => generate())
      : this.byName(key, request.typeUrl, request.only ?? request.names, generate);
  }

  /** The proxy's own listeners, generated once and encoded by part (a failure is reported once). */
  private ownListeners(ctx: SidecarContext): SidecarOwnListeners<PreparedResource> {
    let own: SidecarOwnListeners<object> = { virtual: [], declared: [] };
    const virtual = this.prepare(TypeUrl.Listener, () => (own = generateSidecarOwnListeners(ctx)).virtual);
    return { virtual, declared: this.prepare(TypeUrl.Listener, () => own.declared) };
  }

  private proxy(node: XdsNodeInfo): ServedProxy {
    let proxy = this.proxies.get(node.id);
    if (proxy) return proxy;
    const described = sidecarProxyOf(node);
    const labels = JSON.stringify(Object.entries(described.labels).sort());
    // A proxyless client's config depends on nothing of its own but its namespace and labels: clients
    // alike share one context (a thousand replicas of one gRPC deployment cost one).
    const alike = described.proxylessGrpc ? `${described.namespace}|${labels}` : undefined;
    proxy =
      (alike === undefined ? undefined : this.proxylessAlike.get(alike)) ?? this.served(described, labels);
    this.proxies.set(node.id, proxy);
    if (alike !== undefined) this.proxylessAlike.set(alike, proxy);
    return proxy;
  }

  /**
   * A proxy's context and the keys of what it shares: namespace plus the Sidecar resource that applies
   * (what outbound config depends on), and for routes its labels too when some VirtualService matches on
   * `sourceLabels`.
   */
  private served(described: SidecarProxy, labels: string): ServedProxy {
    const ctx = buildSidecarContext(this.snapshot, described, this.mesh);
    const sidecar = ctx.snapshot.sidecarFor(
      { namespace: described.namespace, labels: described.labels },
      ctx.mesh.rootNamespace,
    );
    const scope = `${described.namespace}|${sidecar ? `${sidecar.metadata.namespace}/${sidecar.metadata.name}` : ''}`;
    return { ctx, scope, routeScope: ctx.snapshot.routesDependOnSourceLabels ? `${scope}|${labels}` : scope };
  }

  private prepare(typeUrl: string, generate: () => object[], cache?: NamedResources): PreparedResource[] {
    return prepareGenerated(typeUrl, generate, this.onError, cache);
  }

  private list(key: string, typeUrl: string, generate: () => object[]): PreparedResource[] {
    let list = this.lists.get(key);
    if (!list) {
      list = this.prepare(typeUrl, generate);
      this.lists.set(key, list);
    }
    return list;
  }

  private byName(
    key: string,
    typeUrl: string,
    names: ReadonlySet<string>,
    generate: (missing: ReadonlySet<string>) => object[],
  ): PreparedResource[] {
    let cache = this.named.get(key);
    if (!cache) {
      cache = new Map();
      this.named.set(key, cache);
    }
    const known = cache;
    return preparedByName(known, typeUrl, names, (missing) =>
      this.prepare(typeUrl, () => generate(missing), known),
    );
  }
}

/**
 * Runs a generator and encodes what it made. A generator failure or a resource that cannot be encoded
 * is reported and left out, never failing the push. With `cache`, resources are remembered by name, and
 * one encoded before under its name is reused.
 */
export function prepareGenerated(
  typeUrl: string,
  generate: () => object[],
  onError: GenerationErrorReporter,
  cache?: NamedResources,
): PreparedResource[] {
  const type = resourceTypeFor(typeUrl);
  if (!type) return [];
  let generated: object[];
  try {
    generated = generate();
  } catch (err) {
    onError(`generating ${type.shortName} resources`, err as Error);
    return [];
  }
  const out: PreparedResource[] = [];
  for (const resource of generated) {
    const name = type.nameOf(resource as never);
    const key = `${typeUrl} ${name}`;
    let prepared = cache?.get(key);
    if (!prepared) {
      try {
        prepared = prepareResource(typeUrl, name, resource);
      } catch (err) {
        onError(`encoding ${type.shortName} ${name}`, err as Error);
        cache?.set(key, null);
        continue;
      }
      cache?.set(key, prepared);
    }
    out.push(prepared);
  }
  return out;
}

/**
 * Answers a request by name from what this snapshot already prepared: `prepareMissing` runs only for names
 * not asked for before (a change reaches a thousand proxies asking for the same few names) and must put
 * what it prepares in `cache`; a name it did not produce is remembered as absent.
 */
export function preparedByName(
  cache: NamedResources,
  typeUrl: string,
  names: ReadonlySet<string>,
  prepareMissing: (missing: ReadonlySet<string>) => void,
): PreparedResource[] {
  const key = (name: string) => `${typeUrl} ${name}`;
  const missing = new Set([...names].filter((name) => !cache.has(key(name))));
  if (missing.size > 0) {
    prepareMissing(missing);
    for (const name of missing) if (!cache.has(key(name))) cache.set(key(name), null);
  }
  const out: PreparedResource[] = [];
  for (const name of names) {
    const prepared = cache.get(key(name));
    if (prepared) out.push(prepared);
  }
  return out;
}
