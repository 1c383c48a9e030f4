import type { PreparedResource, ResourceRequest, ResourceSource } from './resource-source.js';
import { prepareResource } from './resource-source.js';

/**
 * The same resources for every client, held in memory per type: what a static xDS server serves.
 * `set` and `remove` return the names that changed, ready for `AdsServer.push`.
 */
export class MemoryResourceSource implements ResourceSource {
  private readonly byType = new Map<string, Map<string, PreparedResource>>();
  /** Every resource of a type as one array, kept until the type changes: streams share it (and its encoding). */
  private readonly snapshots = new Map<string, PreparedResource[]>();

  constructor(private readonly nameOf: (typeUrl: string, resource: object) => string) {}

  /** Adds or replaces resources; returns the names whose content changed. */
  set(typeUrl: string, resources: readonly object[]): string[] {
    const current = this.typeMap(typeUrl);
    const changed: string[] = [];
    for (const resource of resources) {
      const name = this.nameOf(typeUrl, resource);
      const next = prepareResource(typeUrl, name, resource);
      if (current.get(name)?.version !== next.version) changed.push(name);
      current.set(name, next);
    }
    return changed;
  }

  /** Replaces every resource of a type; returns added, changed and removed names. */
  replace(typeUrl: string, resources: readonly object[]): string[] {
    const keep = new Set(resources.map((r) => this.nameOf(typeUrl, r)));
    const removed = [...this.typeMap(typeUrl).keys()].filter((name) => !keep.has(name));
    return [...this.remove(typeUrl, removed), ...this.set(typeUrl, resources)];
  }

  remove(typeUrl: string, names: readonly string[]): string[] {
    const current = this.typeMap(typeUrl);
    return names.filter((name) => current.delete(name));
  }

  resources(request: ResourceRequest): PreparedResource[] {
    const current = this.byType.get(request.typeUrl);
    if (!current) return [];
    const wanted = request.only ?? (request.wildcard ? undefined : request.names);
    if (!wanted || coversAll(wanted, current)) {
      let snapshot = this.snapshots.get(request.typeUrl);
      if (!snapshot) {
        snapshot = [...current.values()];
        this.snapshots.set(request.typeUrl, snapshot);
      }
      return snapshot;
    }
    const out: PreparedResource[] = [];
    for (const name of wanted) {
      const resource = current.get(name);
      if (resource) out.push(resource);
    }
    return out;
  }

  private typeMap(typeUrl: string): Map<string, PreparedResource> {
    this.snapshots.delete(typeUrl); // every caller is about to change it
    let map = this.byType.get(typeUrl);
    if (!map) {
      map = new Map();
      this.byType.set(typeUrl, map);
    }
    return map;
  }
}

function coversAll(wanted: ReadonlySet<string>, current: ReadonlyMap<string, unknown>): boolean {
  if (wanted.size < current.size) return false;
  for (const name of current.keys()) if (!wanted.has(name)) return false;
  return true;
}
