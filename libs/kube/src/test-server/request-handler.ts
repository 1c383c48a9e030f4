import type { IncomingMessage, ServerResponse } from 'node:http';

import { forbidden, methodNotAllowed, pathNotFound, unauthorized } from './api-errors.js';
import type { UserInfo } from './authentication.js';
import { coreVersions, group, groupList, resourceList, versionDocument } from './discovery.js';
import { sendError, sendJson } from './http-io.js';
import { defaultFieldManager } from './managed-fields.js';
import { handleResourceRequest, type ResourceServices } from './resource-handlers.js';
import type { ResourceCatalog } from './resource-types.js';
import { openApiGroupVersion, openApiRoot } from './openapi-v3.js';
import { routeRequest, type ResourceRoute, type Route } from './request-routing.js';

/**
 * The front door: routes a request, authenticates its bearer token (401 without a valid one, except
 * for /version, health and OIDC discovery, which kube-apiserver's default RBAC opens to everyone),
 * asks the test's authorizer if it has one (403 with kube-apiserver's wording), then serves
 * discovery or hands the request to the resource handlers. Every failure is a `Status`.
 */
export interface AuthorizationAttributes {
  readonly user: UserInfo;
  readonly verb: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** Returns true to allow; anything else denies (a string says why). */
export type Authorizer = (attributes: AuthorizationAttributes) => boolean | string;

/** One served request, reported to `onRequest` once its response has been sent (or its watch ended). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly verb: string | undefined;
  readonly username: string | undefined;
  readonly statusCode: number;
}

export interface RequestHandlerOptions {
  readonly catalog: ResourceCatalog;
  readonly services: ResourceServices;
  readonly kubernetesVersion: string;
  readonly serverAddress: () => string;
  readonly authorize?: Authorizer;
  readonly onRequest?: (request: RecordedRequest) => void;
}

function verbOf(method: string, route: ResourceRoute, query: URLSearchParams): string {
  switch (method) {
    case 'GET':
      if (route.name) return 'get';
      return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function forbiddenMessage(attributes: AuthorizationAttributes, reason: string | undefined): string {
  const resource = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  const scope = attributes.namespace ? `in the namespace "${attributes.namespace}"` : 'at the cluster scope';
  const base = `User "${attributes.user.username}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.group}" ${scope}`;
  return reason ? `${base}: ${reason}` : base;
}

export function createRequestHandler(
  options: RequestHandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { catalog, services } = options;

  function discoveryDocument(route: Exclude<Route, { kind: 'resource' | 'open' | 'unknown' }>): unknown {
    switch (route.kind) {
      case 'core-versions':
        return coreVersions(options.serverAddress());
      case 'group-list':
        return groupList(catalog);
      case 'group':
        return group(catalog, route.group);
      case 'resource-list':
        return resourceList(catalog, route.group, route.version);
      case 'openapi-root':
        return openApiRoot(catalog);
      case 'openapi-group-version':
        return openApiGroupVersion(catalog, route.group, route.version);
    }
  }

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    report: { verb?: string; username?: string },
  ) {
    const url = new URL(request.url ?? '/', 'https://localhost');
    const method = request.method ?? 'GET';
    const route = routeRequest(catalog, url.pathname);
    if (route.kind === 'open') {
      if (route.endpoint === 'version')
        return sendJson(response, 200, versionDocument(options.kubernetesVersion));
      if (route.endpoint === 'openid-configuration') {
        return sendJson(
          response,
          200,
          services.tokenIssuer.openIdConfiguration(`https://${options.serverAddress()}/openid/v1/jwks`),
        );
      }
      if (route.endpoint === 'jwks')
        return sendJson(response, 200, { keys: [services.tokenIssuer.publicJwk] });
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const authentication = token ? await services.authenticator.authenticate(token) : undefined;
    if (!authentication?.authenticated) throw unauthorized();
    const user = authentication.user;
    report.username = user.username;

    if (route.kind === 'unknown') throw pathNotFound();
    if (route.kind !== 'resource') {
      if (method !== 'GET') throw methodNotAllowed();
      const document = discoveryDocument(route);
      if (!document) throw pathNotFound();
      return sendJson(response, 200, document);
    }

    const type = catalog.find(route.group, route.version, route.resource);
    if (!type) throw pathNotFound();
    const verb = verbOf(method, route, url.searchParams);
    report.verb = verb;
    if (!route.subresource && !type.verbs.includes(verb)) throw methodNotAllowed();
    const attributes: AuthorizationAttributes = {
      user,
      verb,
      group: route.group,
      version: route.version,
      resource: route.resource,
      ...(route.subresource ? { subresource: route.subresource } : {}),
      ...(route.namespace ? { namespace: route.namespace } : {}),
      ...(route.name ? { name: route.name } : {}),
    };
    const decision = options.authorize ? options.authorize(attributes) : true;
    if (decision !== true) {
      throw forbidden(
        type,
        route.name ?? '',
        forbiddenMessage(attributes, typeof decision === 'string' ? decision : undefined),
      );
    }
    const fieldManager = url.searchParams.get('fieldManager');
    await handleResourceRequest(
      services,
      {
        route,
        type,
        query: url.searchParams,
        fieldManagerGiven: fieldManager !== null && fieldManager !== '',
        context: {
          type,
          namespace: route.namespace,
          user,
          fieldManager: fieldManager || defaultFieldManager(request.headers['user-agent']),
          dryRun: url.searchParams.getAll('dryRun').includes('All'),
        },
      },
      request,
      response,
    );
  }

  return (request, response) => {
    const report: { verb?: string; username?: string } = {};
    response.on('close', () => {
      const url = new URL(request.url ?? '/', 'https://localhost');
      options.onRequest?.({
        method: request.method ?? 'GET',
        path: url.pathname,
        query: url.search,
        verb: report.verb,
        username: report.username,
        statusCode: response.statusCode,
      });
    });
    handle(request, response, report).catch((error: unknown) => sendError(response, error));
  };
}
