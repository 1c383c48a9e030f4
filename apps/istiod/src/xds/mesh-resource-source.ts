import type { MeshSnapshot } from '@mesh/policy';
import {
  generateProxyless,
  prepareResource,
  resourceTypeFor,
  type PreparedResource,
  type ResourceRequest,
  type ResourceSource,
  type XdsConnection,
} from '@mesh/xds';

/** Istio's proxyless gRPC bootstrap marks its node with this metadata (ISTIO_META_GENERATOR=grpc). */
export function isProxylessGrpc(connection: XdsConnection): boolean {
  return connection.node.metadata['GENERATOR'] === 'grpc';
}

/**
 * Serves each connection from the current mesh snapshot. Generated resources are prepared (encoded)
 * once per snapshot and name, so a thousand clients asking for the same cluster share one encoding.
 * Today only proxyless gRPC clients get config; Envoy-style sidecar generation is not built yet, so a
 * sidecar's subscriptions are answered empty.
 */
export class MeshResourceSource implements ResourceSource {
  private snapshot: MeshSnapshot;
  private prepared = new Map<string, PreparedResource>();

  constructor(initial: MeshSnapshot) {
    this.snapshot = initial;
  }

  get current(): MeshSnapshot {
    return this.snapshot;
  }

  update(snapshot: MeshSnapshot): void {
    this.snapshot = snapshot;
    this.prepared = new Map();
  }

  resources(request: ResourceRequest): PreparedResource[] {
    if (!isProxylessGrpc(request.connection)) return [];
    const type = resourceTypeFor(request.typeUrl);
    if (!type) return [];
    const generated = generateProxyless(this.snapshot, {
      typeUrl: request.typeUrl,
      wildcard: request.wildcard && request.only === undefined,
      names: request.only ?? request.names,
    });
    return generated.map((resource) => {
      const name = type.nameOf(resource as never);
      const key = `${request.typeUrl} ${name}`;
      let prepared = this.prepared.get(key);
      if (!prepared) {
        prepared = prepareResource(request.typeUrl, name, resource);
        this.prepared.set(key, prepared);
      }
      return prepared;
    });
  }
}
