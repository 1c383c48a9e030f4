import {
  buildSidecarContext,
  generateProxyless,
  generateSidecar,
  generateSidecarLoadAssignments,
  generateSidecarLocalClusters,
  generateSidecarOutboundClusters,
  generateSidecarOwnListeners,
  generateSidecarRoutes,
  generateSidecarSharedListeners,
  sidecarProxyOf,
  TypeUrl,
  type MeshSettings,
  type PreparedResource,
  type ResourceRequest,
  type SidecarContext,
} from '@mesh/xds';
import type { MeshSnapshot } from '@mesh/policy';

import { preparedByName, type NamedResources } from './named-resources.js';

/** Runs a generator and encodes its output (errors reported, failures left out); see MeshResourceSource. */
export type PrepareAll = (
  typeUrl: string,
  generate: () => object[],
  cache?: NamedResources,
) => PreparedResource[];

/**
 * Sidecar config for many proxies from one snapshot. What depends only on the proxy's scope — its
 * namespace and the Sidecar resource that applies (plus its labels, when some VirtualService matches on
 * `sourceLabels`) — is generated and encoded once per scope and shared: outbound clusters, endpoints,
 * per-port outbound listeners and routes. Only `virtualInbound`, declared listeners and inbound
 * clusters are built per proxy. A thousand sidecars in one namespace cost about one.
 */
export class SidecarResources {
  private contexts = new Map<string, SidecarContext>();
  private lists = new Map<string, PreparedResource[]>();
  private named = new Map<string, NamedResources>();

  constructor(private readonly prepareAll: PrepareAll) {}

  reset(): void {
    this.contexts = new Map();
    this.lists = new Map();
    this.named = new Map();
  }

  /**
   * A proxyless gRPC client's resources: it sees what a sidecar in its place would, so everything it
   * gets is shared per scope (and per labels when routes match on them).
   */
  proxyless(snapshot: MeshSnapshot, mesh: MeshSettings, request: ResourceRequest): PreparedResource[] {
    const ctx = this.context(snapshot, mesh, request);
    const key = `${this.routeScope(ctx)} grpc ${request.typeUrl}`;
    const generate = (names?: ReadonlySet<string>) =>
      generateProxyless(ctx, { typeUrl: request.typeUrl, wildcard: !names, names: names ?? new Set() });
    return request.wildcard && request.only === undefined
      ? this.list(`${key}*`, request.typeUrl, () => generate())
      : this.byName(key, request.typeUrl, request.only ?? request.names, generate);
  }

  resources(snapshot: MeshSnapshot, mesh: MeshSettings, request: ResourceRequest): PreparedResource[] {
    const ctx = this.context(snapshot, mesh, request);
    const names = request.only ?? request.names;
    const wildcard = request.wildcard && request.only === undefined;
    const scope = this.scope(ctx);
    const routeScope = this.routeScope(ctx);
    const pick = (resources: PreparedResource[]) =>
      wildcard ? resources : resources.filter((r) => names.has(r.name));
    switch (request.typeUrl) {
      case TypeUrl.Cluster:
        return pick([
          ...this.list(`${scope} CDS`, TypeUrl.Cluster, () => generateSidecarOutboundClusters(ctx)),
          ...this.prepareAll(TypeUrl.Cluster, () => generateSidecarLocalClusters(ctx)),
        ]);
      case TypeUrl.Listener: {
        const own = this.prepareAll(TypeUrl.Listener, () => generateSidecarOwnListeners(ctx));
        const taken = new Set(own.map((r) => r.name));
        const shared = this.list(`${routeScope} LDS`, TypeUrl.Listener, () =>
          generateSidecarSharedListeners(ctx),
        );
        const [virtualOutbound, virtualInbound, ...declared] = own;
        return pick([
          ...[virtualOutbound, virtualInbound].filter((r) => r !== undefined),
          ...shared.filter((r) => !taken.has(r.name)),
          ...declared,
        ]);
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
        return this.prepareAll(request.typeUrl, () =>
          generateSidecar(ctx, { typeUrl: request.typeUrl, wildcard, names }),
        );
    }
  }

  private context(snapshot: MeshSnapshot, mesh: MeshSettings, request: ResourceRequest): SidecarContext {
    const node = request.connection.node;
    let ctx = this.contexts.get(node.id);
    if (!ctx) {
      ctx = buildSidecarContext(snapshot, sidecarProxyOf(node), mesh);
      this.contexts.set(node.id, ctx);
    }
    return ctx;
  }

  /** Namespace plus the Sidecar resource that applies: what outbound config depends on. */
  private scope(ctx: SidecarContext): string {
    const sidecar = ctx.snapshot.sidecarFor(
      { namespace: ctx.proxy.namespace, labels: ctx.proxy.labels },
      ctx.mesh.rootNamespace,
    );
    return `${ctx.proxy.namespace}|${sidecar ? `${sidecar.metadata.namespace}/${sidecar.metadata.name}` : ''}`;
  }

  /** The scope, plus the proxy's labels when some VirtualService matches on `sourceLabels`. */
  private routeScope(ctx: SidecarContext): string {
    const scope = this.scope(ctx);
    return ctx.snapshot.routesDependOnSourceLabels
      ? `${scope}|${JSON.stringify(Object.entries(ctx.proxy.labels).sort())}`
      : scope;
  }

  private list(key: string, typeUrl: string, generate: () => object[]): PreparedResource[] {
    let list = this.lists.get(key);
    if (!list) {
      list = this.prepareAll(typeUrl, generate);
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
      this.prepareAll(typeUrl, () => generate(missing), known),
    );
  }
}
