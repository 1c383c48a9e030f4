import type { IncomingMessage, ServerResponse } from 'node:http';

import { badRequest, expired } from './api-errors.js';
import type { KubeObject } from './kube-object.js';
import { matchesFilter, type ObjectFilter } from './object-filter.js';
import type { ObjectStore, StoreEvent } from './object-store.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';
import { presentAs } from './wire-objects.js';

/**
 * `?watch=true`: a chunked HTTP response of newline-delimited `{"type":...,"object":...}` events,
 * as kube-apiserver streams them. Without a resourceVersion (or with "0") the stream starts with an
 * ADDED event per existing object; with one, it replays the remembered events after it, or — when
 * that revision is no longer remembered — sends a single ERROR event carrying a 410 `Expired`
 * Status and ends, which is what makes informers relist. A label or field selector turns an update
 * that makes an object match into ADDED and one that makes it stop matching into DELETED. With
 * `allowWatchBookmarks`, BOOKMARK events carry the current revision at a fixed interval, and
 * `sendInitialEvents=true` ends the initial state with the `k8s.io/initial-events-end` bookmark.
 */
export interface WatchRequest {
  readonly type: ResourceType;
  readonly filter: ObjectFilter;
  readonly resourceVersion: string | undefined;
  readonly sendInitialEvents: boolean | undefined;
  readonly allowBookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
}

export interface WatchStreamOptions {
  readonly bookmarkIntervalMs: number;
  /** Server-side limit on a watch without `timeoutSeconds` (kube-apiserver picks 30–60 min). */
  readonly defaultTimeoutSeconds: number | undefined;
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** How one stored change looks through a filtered watch, if it is visible at all. */
function visibleChange(event: StoreEvent, filter: ObjectFilter): [WatchEventType, KubeObject] | undefined {
  const now = matchesFilter(filter, event.object);
  const before = event.previous ? matchesFilter(filter, event.previous) : false;
  switch (event.type) {
    case 'ADDED':
      return now ? ['ADDED', event.object] : undefined;
    case 'MODIFIED':
      if (now) return [before ? 'MODIFIED' : 'ADDED', event.object];
      return before ? ['DELETED', event.object] : undefined;
    case 'DELETED':
      return matchesFilter(filter, event.previous ?? event.object) ? ['DELETED', event.object] : undefined;
  }
}

export class WatchStreams {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: WatchStreamOptions,
  ) {}

  /** Number of watches currently streaming. */
  get count(): number {
    return this.open.size;
  }

  /** Ends every open watch as a server-side timeout would: clients resume from their last revision. */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }

  /** Validates the request (throwing a Status error before anything is sent), then streams. */
  serve(request: IncomingMessage, response: ServerResponse, watch: WatchRequest): void {
    const { type, filter } = watch;
    const requested = watch.resourceVersion;
    let from: number | undefined;
    if (requested !== undefined && requested !== '' && requested !== '0') {
      if (!/^\d+$/.test(requested))
        throw badRequest(`resourceVersion: Invalid value: "${requested}": must be an integer`);
      from = Number(requested);
    }
    const sendInitial = watch.sendInitialEvents ?? from === undefined;

    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    response.flushHeaders();
    const send = (eventType: WatchEventType, object: unknown) => {
      response.write(`${JSON.stringify({ type: eventType, object })}\n`);
    };
    const bookmark = (annotations?: Record<string, string>) =>
      send('BOOKMARK', {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: {
          resourceVersion: String(this.store.currentRevision),
          ...(annotations ? { annotations } : {}),
        },
      });

    if (sendInitial) {
      for (const object of this.store.list(type.storage, filter.namespace)) {
        if (matchesFilter(filter, object)) send('ADDED', presentAs(object, type));
      }
      if (watch.sendInitialEvents && watch.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else if (from !== undefined) {
      const backlog = this.store.eventsAfter(from, type.storage);
      if (!backlog) {
        const error = expired(`too old resource version: ${from} (${this.store.oldestResumableRevision})`);
        send('ERROR', error.status);
        response.end();
        return;
      }
      for (const event of backlog) {
        const change = visibleChange(event, filter);
        if (change) send(change[0], presentAs(change[1], type));
      }
    }

    const unsubscribe = this.store.subscribe((event) => {
      if (event.storage !== type.storage) return;
      const change = visibleChange(event, filter);
      if (change) send(change[0], presentAs(change[1], type));
    });
    const timers: NodeJS.Timeout[] = [];
    const close = () => {
      if (!this.open.delete(close)) return;
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      if (!response.writableEnded) response.end();
    };
    this.open.add(close);
    if (watch.allowBookmarks) timers.push(setInterval(() => bookmark(), this.options.bookmarkIntervalMs));
    const timeoutSeconds = watch.timeoutSeconds ?? this.options.defaultTimeoutSeconds;
    if (timeoutSeconds !== undefined) timers.push(setTimeout(close, timeoutSeconds * 1000));
    request.on('close', close);
    response.on('close', close);
  }
}
