import type { IncomingHttpHeaders } from 'node:http';

import {
  httpConnectionManagerOf,
  managedPath,
  routeTableOf,
  type HttpConnectionManager,
  type ProxyConfig,
} from '@mesh/xds';

import { hashKeyOf } from './hash-key.js';
import { enforceRbac } from '../rbac/rbac-enforcement.js';
import { routingHeaders } from './http-headers.js';
import type { DownstreamConnection, HttpDependencies } from './http-stream-context.js';
import { decideRoute, type RouteDecision } from './route-decision.js';

/**
 * The HTTP connection manager up to the router, for a request or an upgrade: path normalization,
 * the RBAC filters (reporting denials and dry-run results), then the route. Either a local reply (400,
 * 403 `RBAC: access denied`, 404, a direct response, a redirect) or a route to forward on.
 */

type Obj = Record<string, unknown>;

export type Admission =
  | {
      kind: 'reply';
      status: number;
      body: string;
      flags: string;
      details: string;
      headers?: Record<string, string>;
      route?: string;
    }
  | { kind: 'forward'; decision: Extract<RouteDecision, { kind: 'forward' }>; hcm: Obj; hashKey?: string };

export interface AdmittedRequest {
  method: string;
  path: string;
  authority: string;
  headers: IncomingHttpHeaders;
}

/**
 * The HTTP manager for a request: that of the same listener and chain in the current config, so a
 * policy change applies to the next request on a kept-alive connection (Envoy drains the connections
 * of a replaced chain for the same effect); the accepting one if the chain is gone. Both were
 * compiled when their config was accepted: this is two map lookups.
 */
function currentManager(config: ProxyConfig, connection: DownstreamConnection): HttpConnectionManager {
  const chain = config.chains.get(connection.listener)?.get(connection.chain);
  return chain?.http ?? httpConnectionManagerOf(connection.hcm);
}

export function admitRequest(
  request: AdmittedRequest,
  connection: DownstreamConnection,
  deps: HttpDependencies,
): Admission {
  const config = deps.snapshot().config;
  const manager = currentManager(config, connection);
  const path =
    connection.direction === 'inbound' ? managedPath(manager.pathNormalization, request.path) : request.path;
  if (path === undefined)
    return {
      kind: 'reply',
      status: 400,
      body: 'Bad Request',
      flags: '-',
      details: 'path_normalization_failed',
    };
  const scheme = connection.tls ? 'https' : 'http';
  const headers = routingHeaders(request.headers, request.method, path, request.authority, scheme);

  const rbac = enforceRbac(manager.rbac, connection, deps, headers);
  if (rbac.denied) {
    const policy = rbac.policy;
    return {
      kind: 'reply',
      status: 403,
      body: 'RBAC: access denied',
      flags: '-',
      details: `rbac_access_denied_matched_policy[${policy}]`,
    };
  }

  const routes = routeTableOf(config, manager);
  const decision = routes ? decideRoute(routes, headers) : ({ kind: 'no-route' } as const);
  switch (decision.kind) {
    case 'no-route':
      return { kind: 'reply', status: 404, body: '', flags: 'NR', details: 'route_not_found' };
    case 'direct':
      return {
        kind: 'reply',
        status: decision.status,
        body: decision.body ?? '',
        flags: '-',
        details: 'direct_response',
        route: decision.route,
      };
    case 'redirect':
      return {
        kind: 'reply',
        status: decision.status,
        body: '',
        flags: '-',
        details: 'via_redirect',
        headers: { location: decision.location },
        route: decision.route,
      };
    default: {
      const hashKey = hashKeyOf(decision.hashPolicy, headers, connection.remoteAddress);
      return {
        kind: 'forward',
        decision,
        hcm: manager.config,
        ...(hashKey === undefined ? {} : { hashKey }),
      };
    }
  }
}
