import type { MeshSnapshot } from '@mesh/policy';

import { preparedByName, type NamedResources } from './named-resources.js';
import { SidecarResources } from './sidecar-resources.js';
import {
  DEFAULT_MESH_SETTINGS,
  generateSecrets,
  sidecarProxyOf,
  prepareResource,
  resourceTypeFor,
  TypeUrl,
  type MeshSettings,
  type PreparedResource,
  type ResourceRequest,
  type ResourceSource,
  type XdsConnection,
} from '@mesh/xds';

/** Istio's proxyless gRPC bootstrap marks its node with this metadata (ISTIO_META_GENERATOR=grpc). */
export function isProxylessGrpc(connection: XdsConnection): boolean {
  return connection.node.metadata['GENERATOR'] === 'grpc';
}

/** Istio's sidecars (and our proxy) identify as `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`. */
export function isSidecar(connection: XdsConnection): boolean {
  return connection.node.id.startsWith('sidecar~');
}

/** Istio's gateways identify as `router~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`. */
export function isRouter(connection: XdsConnection): boolean {
  return connection.node.id.startsWith('router~');
}

/**
 * Serves each connection from the current mesh snapshot. Sidecar config is shared per scope (namespace
 * and Sidecar resource) except what depends on the proxy itself; a proxyless gRPC client's is shared
 * per scope whole: each is prepared (encoded) once per snapshot, scope and name. See SidecarResources.
 */
export class MeshResourceSource implements ResourceSource {
  private snapshot: MeshSnapshot;
  private mesh: MeshSettings;
  /** Sidecar config, shared per scope within the snapshot. */
  private readonly sidecars = new SidecarResources((typeUrl, generate, cache) =>
    this.prepareAll(typeUrl, generate, cache),
  );
  /**
   * Per snapshot: gateway secrets by namespace, then by resource name (`kubernetes://x` means a
   * different Secret in each namespace); null marks a name left out, whose problem was reported once.
   */
  private secrets = new Map<string, NamedResources>();

  /**
   * `onError` hears about a resource that could not be generated or encoded: it is left out (and the
   * client keeps what it had) instead of failing the whole push. `mesh`: MeshConfig's settings.
   */
  constructor(
    initial: MeshSnapshot,
    private readonly onError: (what: string, error: Error) => void = () => undefined,
    mesh: MeshSettings = DEFAULT_MESH_SETTINGS,
  ) {
    this.snapshot = initial;
    this.mesh = mesh;
  }

  get current(): MeshSnapshot {
    return this.snapshot;
  }

  /** A new snapshot, and MeshConfig's settings when they changed: everything is generated anew. */
  update(snapshot: MeshSnapshot, mesh: MeshSettings = this.mesh): void {
    this.snapshot = snapshot;
    this.mesh = mesh;
    this.sidecars.reset();
    this.secrets = new Map();
  }

  resources(request: ResourceRequest): PreparedResource[] {
    // SDS: only gateway credentials come from istiod; workload certs come from each proxy's agent.
    if (request.typeUrl === TypeUrl.Secret)
      return isRouter(request.connection) && !isProxylessGrpc(request.connection)
        ? this.gatewaySecrets(request)
        : [];
    if (isSidecar(request.connection) && !isProxylessGrpc(request.connection))
      return this.sidecars.resources(this.snapshot, this.mesh, request);
    if (!isProxylessGrpc(request.connection)) return [];
    return this.sidecars.proxyless(this.snapshot, this.mesh, request);
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
    const snapshot = this.snapshot;
    return preparedByName(cache, TypeUrl.Secret, names, (missing) =>
      this.prepareAll(
        TypeUrl.Secret,
        () => {
          const { resources, problems } = generateSecrets(snapshot, { namespace, kind: 'router' }, missing);
          for (const problem of problems) this.onError(`SDS for ${node.id}`, new Error(problem));
          return resources;
        },
        cache,
      ),
    );
  }

  /**
   * Runs a generator and encodes what it made. A generator failure or a resource that cannot be encoded
   * is reported and left out, never failing the push. With `cache`, resources are remembered by name.
   */
  private prepareAll(typeUrl: string, generate: () => object[], cache?: NamedResources): PreparedResource[] {
    const type = resourceTypeFor(typeUrl);
    if (!type) return [];
    let generated: object[];
    try {
      generated = generate();
    } catch (err) {
      this.onError(`generating ${type.shortName} resources`, err as Error);
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
          this.onError(`encoding ${type.shortName} ${name}`, err as Error);
          cache?.set(key, null);
          continue;
        }
        cache?.set(key, prepared);
      }
      out.push(prepared);
    }
    return out;
  }
}
