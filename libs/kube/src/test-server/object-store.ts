import { clone, keyOf, objectKey, type KubeObject } from './kube-object.js';

/**
 * In-memory storage with etcd's consistency model, which is what clients of the API server rely on:
 * one global revision counter bumped by every write (an object's `resourceVersion` is the revision
 * of its last write, a list's is the current revision), and an ordered history of change events so a
 * watch can resume from any revision that is still remembered. The history is bounded; a revision
 * that fell out of it (or was compacted away) can no longer be resumed from and yields 410 Expired.
 */
export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly revision: number;
  readonly type: StoreEventType;
  /** `<group>/<resource>` of the object. */
  readonly storage: string;
  /** The object after the change; for DELETED its last state, stamped with the deletion's revision. */
  readonly object: KubeObject;
  /** The object before the change (MODIFIED, DELETED): watches with selectors need both states. */
  readonly previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

export class ObjectStore {
  private revision = 0;
  private compactedRevision = 0;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  constructor(private readonly historyLimit: number) {}

  /** The revision of the latest write (or compaction). */
  get currentRevision(): number {
    return this.revision;
  }

  /** The oldest revision a watch may resume from: every event after it is still in the history. */
  get oldestResumableRevision(): number {
    return this.compactedRevision;
  }

  get(storage: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.buckets.get(storage)?.get(objectKey(namespace, name));
    return found && clone(found);
  }

  /** Objects of `storage` (in `namespace` when given), ordered by namespace then name. */
  list(storage: string, namespace?: string): KubeObject[] {
    const bucket = this.buckets.get(storage);
    if (!bucket) return [];
    return [...bucket.entries()]
      .filter(([, object]) => namespace === undefined || object.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => clone(object));
  }

  /** Storage keys that hold at least one object. */
  storages(): string[] {
    return [...this.buckets.entries()].filter(([, bucket]) => bucket.size > 0).map(([storage]) => storage);
  }

  /** Stores a new object (the caller checked it does not exist) and returns it as stored. */
  create(storage: string, object: KubeObject): KubeObject {
    const stored = this.stamp(object);
    this.bucket(storage).set(keyOf(stored), stored);
    this.record({ revision: this.revision, type: 'ADDED', storage, object: stored });
    return clone(stored);
  }

  /** Replaces an existing object and returns it as stored. */
  update(storage: string, object: KubeObject): KubeObject {
    const key = keyOf(object);
    const previous = this.bucket(storage).get(key);
    const stored = this.stamp(object);
    this.bucket(storage).set(key, stored);
    this.record({ revision: this.revision, type: 'MODIFIED', storage, object: stored, previous });
    return clone(stored);
  }

  /** Removes an object; returns its last state stamped with the deletion revision, as a watch sees it. */
  delete(storage: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const bucket = this.buckets.get(storage);
    const previous = bucket?.get(key);
    if (!bucket || !previous) return undefined;
    bucket.delete(key);
    const last = this.stamp(previous);
    this.record({ revision: this.revision, type: 'DELETED', storage, object: last, previous });
    return clone(last);
  }

  /** Events of `storage` after `revision`, or `undefined` when some of them are no longer remembered. */
  eventsAfter(revision: number, storage: string): StoreEvent[] | undefined {
    if (revision < this.compactedRevision) return undefined;
    return this.history.filter((event) => event.revision > revision && event.storage === storage);
  }

  /** Calls `listener` synchronously after every write; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Forgets the whole history and moves the revision on, so that every revision a client holds is
   * now too old to resume from: the state a client finds after an etcd compaction passed it while
   * it was disconnected. Its next watch gets 410 Expired and it must relist.
   */
  compact(): void {
    this.history = [];
    this.revision++;
    this.compactedRevision = this.revision;
  }

  private bucket(storage: string): Map<string, KubeObject> {
    let bucket = this.buckets.get(storage);
    if (!bucket) this.buckets.set(storage, (bucket = new Map()));
    return bucket;
  }

  private stamp(object: KubeObject): KubeObject {
    this.revision++;
    const stored = clone(object);
    stored.metadata.resourceVersion = String(this.revision);
    return stored;
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      this.compactedRevision = this.history.shift()?.revision ?? this.compactedRevision;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
