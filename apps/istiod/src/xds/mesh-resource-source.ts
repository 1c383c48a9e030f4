import type { MeshSnapshot } from '@mesh/registry';
import {
  buildGatewayContext,
  DEFAULT_MESH_SETTINGS,
  generateGateway,
  generateSecrets,
  isProxylessGrpc,
  prepareGenerated,
  preparedByName,
  prepareResource,
  sidecarProxyOf,
  SidecarServingCache,
  TypeUrl,
  type GatewayContext,
  type GenerationErrorReporter,
  type MeshSettings,
  type NamedResources,
  type PreparedResource,
  type ResourceRequest,
  type ResourceSource,
  type XdsConnection,
} from '@mesh/xds';

/** Istio's sidecars (and our proxy) identify as `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`. */
function isSidecar(connection: XdsConnection): boolean {
  return connection.node.id.startsWith('sidecar~');
}

/** Istio's gateways identify as `router~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`. */
function isRouter(connection: XdsConnection): boolean {
  return connection.node.id.startsWith('router~');
}

/**
 * Serves each connection from the current mesh snapshot: sidecars and proxyless gRPC clients from the
 * serving cache libs/xds keeps per snapshot (shared per scope, see SidecarServingCache), gateways the
 * listeners and routes of the Gateways selecting them and their `kubernetes://` credentials.
 */
export class MeshResourceSource implements ResourceSource {
  private serving: SidecarServingCache;
  /**
   * Per snapshot: gateway secrets by namespace, then by resource name (`kubernetes://x` means a
   * different Secret in each namespace); null marks a name left out, whose problem was reported once.
   */
  private secrets = new Map<string, NamedResources>();
  /** Per snapshot: each gateway's context by node id, its servers' problems reported once. */
  private gateways = new Map<string, GatewayContext>();

  /**
   * `onError` hears about a resource that could not be generated or encoded: it is left out (and the
   * client keeps what it had) instead of failing the whole push. `mesh`: MeshConfig's settings.
   */
  constructor(
    initial: MeshSnapshot,
    private readonly onError: GenerationErrorReporter = () => undefined,
    mesh: MeshSettings = DEFAULT_MESH_SETTINGS,
  ) {
    this.serving = new SidecarServingCache(initial, mesh, onError);
  }

  get current(): MeshSnapshot {
    return this.serving.snapshot;
  }

  /** A new snapshot, and MeshConfig's settings when they changed: everything is generated anew. */
  update(snapshot: MeshSnapshot, mesh: MeshSettings = this.serving.mesh): void {
    this.serving = new SidecarServingCache(snapshot, mesh, this.onError);
    this.secrets = new Map();
    this.gateways = new Map();
  }

  resources(request: ResourceRequest): PreparedResource[] {
    const node = request.connection.node;
    // SDS: only gateway credentials come from istiod; workload certs come from each proxy's agent.
    if (request.typeUrl === TypeUrl.Secret)
      return isRouter(request.connection) && !isProxylessGrpc(node) ? this.gatewaySecrets(request) : [];
    if (isSidecar(request.connection) || isProxylessGrpc(node)) return this.serving.resources(request);
    if (isRouter(request.connection)) return this.gatewayResources(request);
    return [];
  }

  /** A gateway's listeners, routes, clusters and endpoints (its Gateways' servers and bound VirtualServices). */
  private gatewayResources(request: ResourceRequest): PreparedResource[] {
    const node = request.connection.node;
    let ctx = this.gateways.get(node.id);
    if (!ctx) {
      ctx = buildGatewayContext(this.serving.snapshot, sidecarProxyOf(node), this.serving.mesh);
      for (const problem of ctx.problems) this.onError(`gateway ${node.id}`, new Error(problem));
      this.gateways.set(node.id, ctx);
    }
    const names = request.only ?? request.names;
    const wildcard = request.wildcard && request.only === undefined;
    const resources = generateGateway(ctx, { typeUrl: request.typeUrl, wildcard, names });
    const prepared: PreparedResource[] = [];
    for (const resource of resources) {
      const r = resource as { name?: string; cluster_name?: string };
      try {
        prepared.push(prepareResource(request.typeUrl, r.name ?? r.cluster_name ?? '', resource));
      } catch (error) {
        this.onError(`gateway ${node.id}`, error as Error);
      }
    }
    return prepared;
  }

  /**
   * A gateway's `kubernetes://` credentials, by name only (SDS has no wildcard: a wildcard subscription
   * gets nothing). Each name is resolved once per snapshot and namespace, and a name left out (missing,
   * malformed, another namespace's) is reported once.
   */
  private gatewaySecrets(request: ResourceRequest): PreparedResource[] {
    const names = request.only ?? request.names;
    if (names.size === 0) return [];
    const node = request.connection.node;
    const namespace = sidecarProxyOf(node).namespace;
    // Private keys go only to a gateway that proved, with its workload certificate over mTLS, that it
    // runs in the namespace whose secrets it asks for (as Istio's SDS authorizes by identity).
    const proven = request.connection.peerIdentity?.match(/^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/)?.[1];
    if (proven !== namespace) {
      this.onError(
        `SDS for ${node.id}`,
        new Error(
          proven
            ? `authenticated as namespace ${proven}, not ${namespace}`
            : 'secrets are served only over mTLS with a workload certificate',
        ),
      );
      return [];
    }
    let cache = this.secrets.get(namespace);
    if (!cache) {
      cache = new Map();
      this.secrets.set(namespace, cache);
    }
    const known = cache;
    const snapshot = this.serving.snapshot;
    return preparedByName(known, TypeUrl.Secret, names, (missing) =>
      prepareGenerated(
        TypeUrl.Secret,
        () => {
          const { resources, problems } = generateSecrets(snapshot, { namespace, kind: 'router' }, missing);
          for (const problem of problems) this.onError(`SDS for ${node.id}`, new Error(problem));
          return resources;
        },
        this.onError,
        known,
      ),
    );
  }
}
