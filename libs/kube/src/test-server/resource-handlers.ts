import type { IncomingMessage, ServerResponse } from 'node:http';

import { isKubeError } from '../errors.js';
import { applyJsonPatch, applyObjectMergePatch } from '../object-patches.js';
import { apiError, badRequest, invalid, methodNotAllowed, pathNotFound } from './api-errors.js';
import type { Authenticator } from './authentication.js';
import { STORAGE } from './builtin-resources.js';
import { readBody, readObjectBody, readPatchBody, sendJson, type PatchType } from './http-io.js';
import { isPlainObject, nameOf, type KubeObject } from './kube-object.js';
import { matchesFilter, parseObjectFilter } from './object-filter.js';
import type { ObjectStore } from './object-store.js';
import { getObject, listObjects } from './rest-reads.js';
import { apiVersionOf, hasStatusSubresource, type ResourceType } from './resource-types.js';
import type { ResourceRoute } from './request-routing.js';
import { applyCreateManagedFields, applyToExisting } from './server-side-apply.js';
import type { ServiceAccountTokenIssuer } from './service-account-tokens.js';
import { requestToken, reviewToken } from './token-endpoints.js';
import type { WatchStreams } from './watch-streams.js';
import { decodeBody, presentAs } from './wire-objects.js';
import type { WriteContext, WritePipeline } from './write-pipeline.js';

/**
 * The REST verbs on one resource route: get, list, watch, create, update, patch (JSON, merge,
 * strategic-as-merge, server-side apply), delete and deletecollection, the `status` subresource,
 * and the virtual TokenReview and TokenRequest endpoints.
 */
export interface ResourceServices {
  readonly store: ObjectStore;
  readonly pipeline: WritePipeline;
  readonly watches: WatchStreams;
  readonly authenticator: Authenticator;
  readonly tokenIssuer: ServiceAccountTokenIssuer;
}

export interface ResourceRequest {
  readonly route: ResourceRoute;
  readonly type: ResourceType;
  readonly query: URLSearchParams;
  readonly context: WriteContext;
  readonly fieldManagerGiven: boolean;
}

function positiveInteger(value: string | null): number | undefined {
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

async function patchObject(
  services: ResourceServices,
  request: ResourceRequest,
  name: string,
  http: IncomingMessage,
): Promise<[number, KubeObject]> {
  const { type, context, query, route } = request;
  const { patchType, patch } = await readPatchBody(http);
  const subresource = route.subresource === 'status' ? ('status' as const) : undefined;
  if (patchType === 'apply') return applyObject(services, request, name, patch, subresource);
  const base = presentAs(services.pipeline.existing(context, name), type);
  const patched = applyPatch(type, name, base, patchType, patch);
  const body = decodeBody(patched, type, name);
  if (query.get('force') !== null) throw badRequest('force may not be specified for non-apply patch');
  return [200, await services.pipeline.update(context, name, body, subresource ? { subresource } : {})];
}

function applyPatch(
  type: ResourceType,
  name: string,
  base: KubeObject,
  patchType: PatchType,
  patch: unknown,
): unknown {
  try {
    // Strategic merge is treated as a merge patch: lists replace instead of merging by key.
    return patchType === 'json' ? applyJsonPatch(base, patch) : applyObjectMergePatch(base, patch);
  } catch (error) {
    if (!isKubeError(error)) throw error;
    if (error.code === 'KUBE_MERGE_PATCH_FAILED') throw badRequest(error.message);
    throw invalid(type.kind, type.group, name, [
      { type: 'Invalid', field: '', badValue: patch, detail: error.message },
    ]);
  }
}

async function applyObject(
  services: ResourceServices,
  request: ResourceRequest,
  name: string,
  patch: unknown,
  subresource: 'status' | undefined,
): Promise<[number, KubeObject]> {
  const { type, context, query } = request;
  if (!request.fieldManagerGiven) {
    throw invalid('PatchOptions', 'meta.k8s.io', '', [
      { type: 'Required', field: 'fieldManager', detail: 'is required for apply patch' },
    ]);
  }
  if (!isPlainObject(patch) || patch['apiVersion'] === undefined || patch['kind'] === undefined) {
    throw badRequest('apply patches must set apiVersion and kind');
  }
  const applied = decodeBody(patch, type, name);
  if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  applied.metadata.name = name;
  const manager = context.fieldManager;
  const apiVersion = apiVersionOf(type);
  const current = services.store.get(type.storage, context.namespace, name);
  if (!current) {
    if (subresource) throw apiError('NotFound', `${type.resource} "${name}" not found`);
    return [
      201,
      await services.pipeline.create(
        context,
        applied,
        applyCreateManagedFields(applied, manager, apiVersion),
      ),
    ];
  }
  const force = query.get('force') === 'true';
  const result = applyToExisting(presentAs(current, type), applied, manager, apiVersion, force);
  const options = { managedFields: result.managedFields, ...(subresource ? { subresource } : {}) };
  return [200, await services.pipeline.update(context, name, result.object, options)];
}

function deletedStatus(type: ResourceType, object: KubeObject): Record<string, unknown> {
  const details = {
    name: object.metadata.name,
    ...(type.group ? { group: type.group } : {}),
    kind: type.resource,
    uid: object.metadata.uid,
  };
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

async function deleteOptions(http: IncomingMessage): Promise<{ uid?: string; resourceVersion?: string }> {
  const text = await readBody(http);
  if (text.trim() === '') return {};
  let options: unknown;
  try {
    options = JSON.parse(text);
  } catch {
    throw badRequest('the DeleteOptions body could not be decoded');
  }
  const preconditions =
    isPlainObject(options) && isPlainObject(options['preconditions']) ? options['preconditions'] : {};
  return {
    ...(typeof preconditions['uid'] === 'string' ? { uid: preconditions['uid'] } : {}),
    ...(typeof preconditions['resourceVersion'] === 'string'
      ? { resourceVersion: preconditions['resourceVersion'] }
      : {}),
  };
}

async function collectionRequest(
  services: ResourceServices,
  request: ResourceRequest,
  http: IncomingMessage,
  response: ServerResponse,
): Promise<[number, unknown] | undefined> {
  const { route, type, query, context } = request;
  const filter = parseObjectFilter(query, type, route.namespace);
  const param = (key: string) => query.get(key) ?? undefined;
  switch (http.method) {
    case 'GET': {
      if (param('watch') === 'true' || param('watch') === '1') {
        const sendInitial = param('sendInitialEvents');
        services.watches.serve(http, response, {
          type,
          filter,
          resourceVersion: param('resourceVersion'),
          sendInitialEvents: sendInitial === undefined ? undefined : sendInitial === 'true',
          allowBookmarks: param('allowWatchBookmarks') === 'true',
          timeoutSeconds: positiveInteger(query.get('timeoutSeconds')),
        });
        return undefined;
      }
      const limit = positiveInteger(query.get('limit'));
      const continueToken = param('continue');
      const resourceVersion = param('resourceVersion');
      const resourceVersionMatch = param('resourceVersionMatch');
      const list = listObjects(services.store, {
        type,
        filter,
        ...(limit !== undefined ? { limit } : {}),
        ...(continueToken ? { continueToken } : {}),
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
        ...(resourceVersionMatch ? { resourceVersionMatch } : {}),
      });
      return [200, list];
    }
    case 'POST':
      return [201, await services.pipeline.create(context, decodeBody(await readObjectBody(http), type))];
    case 'DELETE': {
      const items: KubeObject[] = [];
      for (const object of services.store.list(type.storage, route.namespace)) {
        if (!matchesFilter(filter, object)) continue;
        const objectContext = { ...context, namespace: object.metadata.namespace };
        items.push((await services.pipeline.delete(objectContext, nameOf(object))).object);
      }
      return [200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: {}, items }];
    }
    default:
      throw methodNotAllowed();
  }
}

async function objectRequest(
  services: ResourceServices,
  request: ResourceRequest,
  name: string,
  http: IncomingMessage,
): Promise<[number, unknown]> {
  const { route, type, context } = request;
  switch (http.method) {
    case 'GET':
      return [200, getObject(services.store, type, route.namespace, name)];
    case 'PUT': {
      const body = decodeBody(await readObjectBody(http), type, name);
      const options = route.subresource === 'status' ? { subresource: 'status' as const } : {};
      return [200, await services.pipeline.update(context, name, body, options)];
    }
    case 'PATCH':
      return patchObject(services, request, name, http);
    case 'DELETE': {
      if (route.subresource) throw methodNotAllowed();
      const { object, gone } = await services.pipeline.delete(context, name, await deleteOptions(http));
      // Built-in registries answer an immediate delete with a Success Status; custom resources
      // and objects kept by finalizers come back as the object.
      if (!gone || type.origin === 'crd') return [200, object];
      return [200, deletedStatus(type, object)];
    }
    default:
      throw methodNotAllowed();
  }
}

/** Handles one request on a resource route (a watch streams its own response). */
export async function handleResourceRequest(
  services: ResourceServices,
  request: ResourceRequest,
  http: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { route, type } = request;
  let result: [number, unknown] | undefined;
  if (
    route.subresource === 'token' &&
    type.storage === STORAGE.serviceAccounts &&
    route.name &&
    route.namespace
  ) {
    if (http.method !== 'POST') throw methodNotAllowed();
    const body = await readObjectBody(http);
    const tokenRequest = isPlainObject(body) ? (body as KubeObject) : ({ metadata: {} } as KubeObject);
    const { store, tokenIssuer, authenticator } = services;
    result = [
      201,
      await requestToken(
        store,
        tokenIssuer,
        authenticator.apiAudiences,
        route.namespace,
        route.name,
        tokenRequest,
      ),
    ];
  } else if (
    route.subresource !== undefined &&
    (route.subresource !== 'status' || !hasStatusSubresource(type))
  ) {
    throw pathNotFound();
  } else if (type.origin === 'virtual') {
    if (http.method !== 'POST' || route.name) throw methodNotAllowed();
    result = [201, await reviewToken(services.authenticator, decodeBody(await readObjectBody(http), type))];
  } else if (type.namespaced && !route.namespace && (route.name || http.method !== 'GET')) {
    throw pathNotFound();
  } else if (route.name === undefined) {
    result = await collectionRequest(services, request, http, response);
  } else {
    result = await objectRequest(services, request, route.name, http);
  }
  if (result) sendJson(response, result[0], result[1]);
}
