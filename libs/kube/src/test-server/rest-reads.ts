import { apiError, badRequest, expired, notFound } from './api-errors.js';
import { clone, keyOf, type KubeObject } from './kube-object.js';
import { matchesFilter, type ObjectFilter } from './object-filter.js';
import type { ObjectStore } from './object-store.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';
import { presentAs } from './wire-objects.js';

/**
 * GET of one object and of collections. A list carries the revision it was read at in
 * `metadata.resourceVersion` (the revision a following watch starts from). `limit` + `continue`
 * paginate; `resourceVersion` + `resourceVersionMatch=Exact` reads the collection as it was at that
 * revision (rebuilt from the change history, 410 Expired when that is gone); a revision newer than
 * the server's is a 504 "Too large resource version", as from the watch cache.
 */
export interface ListRequest {
  readonly type: ResourceType;
  readonly filter: ObjectFilter;
  readonly limit?: number;
  readonly continueToken?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
}

interface ContinueToken {
  /** Revision of the first page: every page reports it. */
  readonly rv: number;
  /** Storage key of the last object returned. */
  readonly start: string;
}

export function getObject(
  store: ObjectStore,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
): KubeObject {
  const found = store.get(type.storage, namespace, name);
  if (!found) throw notFound(type, name);
  return presentAs(found, type);
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string')
      return { rv: parsed.rv, start: parsed.start };
  } catch {
    // Falls through to the 400 below.
  }
  throw badRequest('continue key is not valid: malformed continue token');
}

/** The objects of `storage` as they were at `revision`, by undoing the remembered changes since. */
function objectsAtRevision(store: ObjectStore, storage: string, revision: number): KubeObject[] {
  const events = store.eventsAfter(revision, storage);
  if (!events) throw expired('The resourceVersion for the provided list is too old.');
  const objects = new Map(store.list(storage).map((object) => [keyOf(object), object]));
  for (const event of [...events].reverse()) {
    const key = keyOf(event.object);
    if (event.type === 'ADDED' || !event.previous) objects.delete(key);
    else objects.set(key, clone(event.previous));
  }
  return [...objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, object]) => object);
}

export function listObjects(store: ObjectStore, request: ListRequest): KubeObject {
  const { type, filter } = request;
  const current = store.currentRevision;
  let revision = current;
  let candidates: KubeObject[] | undefined;
  const requested = request.resourceVersion;
  if (requested !== undefined && requested !== '' && requested !== '0') {
    if (!/^\d+$/.test(requested))
      throw badRequest(`resourceVersion: Invalid value: "${requested}": must be an integer`);
    const asked = Number(requested);
    if (asked > current) {
      throw apiError('Timeout', `Too large resource version: ${asked}, current: ${current}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    if (request.resourceVersionMatch === 'Exact') {
      candidates = objectsAtRevision(store, type.storage, asked);
      revision = asked;
    }
  }
  let start: string | undefined;
  if (request.continueToken) {
    const token = decodeContinue(request.continueToken);
    if (token.rv < store.oldestResumableRevision) {
      throw expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    start = token.start;
    revision = token.rv;
  }
  const matching = (candidates ?? store.list(type.storage, filter.namespace))
    .filter((object) => matchesFilter(filter, object))
    .filter((object) => start === undefined || keyOf(object) > start);
  const limit = request.limit && request.limit > 0 ? request.limit : matching.length;
  const page = matching.slice(0, limit);
  const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
  const last = page[page.length - 1];
  if (last && page.length < matching.length) {
    const token: ContinueToken = { rv: revision, start: keyOf(last) };
    metadata['continue'] = Buffer.from(JSON.stringify(token)).toString('base64url');
    metadata['remainingItemCount'] = matching.length - page.length;
  }
  // Typed built-in lists carry no per-item kind/apiVersion on the wire; custom resources do.
  const items = page.map((object) => {
    const presented = presentAs(object, type);
    if (type.origin === 'crd') return presented;
    const { apiVersion: _apiVersion, kind: _kind, ...rest } = presented;
    return rest;
  });
  return { kind: type.listKind, apiVersion: apiVersionOf(type), metadata, items } as unknown as KubeObject;
}
