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
  /** Per snapshot: each generated resource by `<type URL> <name>`; null marks a name that does not exist. */
  private prepared = new Map<string, PreparedResource | null>();

  /**
   * `onError` hears about a resource that could not be generated or encoded: it is left out (and the
   * client keeps what it had) instead of failing the whole push.
   */
  constructor(
    initial: MeshSnapshot,
    private readonly onError: (what: string, error: Error) => void = () => undefined,
  ) {
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
    const wildcard = request.wildcard && request.only === undefined;
    if (wildcard) return this.generate(request.typeUrl, { wildcard: true, names: new Set() });
    // Named requests are answered from what this snapshot already produced; only names not asked for
    // before are generated (a change reaches a thousand proxies asking for the same few names).
    const names = request.only ?? request.names;
    const missing = new Set([...names].filter((name) => !this.prepared.has(`${request.typeUrl} ${name}`)));
    if (missing.size > 0) {
      this.generate(request.typeUrl, { wildcard: false, names: missing });
      for (const name of missing)
        if (!this.prepared.has(`${request.typeUrl} ${name}`))
          this.prepared.set(`${request.typeUrl} ${name}`, null);
    }
    const out: PreparedResource[] = [];
    for (const name of names) {
      const prepared = this.prepared.get(`${request.typeUrl} ${name}`);
      if (prepared) out.push(prepared);
    }
    return out;
  }

  /** Generates and prepares resources, remembering each under its name for this snapshot. */
  private generate(
    typeUrl: string,
    request: { wildcard: boolean; names: ReadonlySet<string> },
  ): PreparedResource[] {
    const type = resourceTypeFor(typeUrl);
    if (!type) return [];
    let generated: object[];
    try {
      generated = generateProxyless(this.snapshot, { typeUrl, ...request });
    } catch (err) {
      this.onError(`generating ${type.shortName} resources`, err as Error);
      return [];
    }
    const out: PreparedResource[] = [];
    for (const resource of generated) {
      const name = type.nameOf(resource as never);
      const key = `${typeUrl} ${name}`;
      let prepared = this.prepared.get(key);
      if (!prepared) {
        try {
          prepared = prepareResource(typeUrl, name, resource);
        } catch (err) {
          this.onError(`encoding ${type.shortName} ${name}`, err as Error);
          this.prepared.set(key, null);
          continue;
        }
        this.prepared.set(key, prepared);
      }
      out.push(prepared);
    }
    return out;
  }
}
