import type { IncomingHttpHeaders } from 'node:http';

import {
  chainName,
  managedPath,
  networkFilter,
  type EnvoyFilter,
  type EnvoyRouteConfiguration,
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

const HCM = 'envoy.filters.network.http_connection_manager';

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
 * The HTTP manager config for a request: that of the same listener and chain in the current config,
 * so a policy change applies to the next request on a kept-alive connection (Envoy drains the
 * connections of a replaced chain for the same effect); the accepting one if the chain is gone.
 */
function currentHcm(deps: HttpDependencies, connection: DownstreamConnection): Obj {
  const listener = deps.snapshot().config.listeners.find((l) => l.name === connection.listener);
  const chain =
    listener &&
    [
      ...(listener.filter_chains ?? []),
      ...(listener.default_filter_chain ? [listener.default_filter_chain] : []),
    ].find((c) => chainName(listener, c) === connection.chain);
  return (chain && networkFilter(chain, HCM)) ?? connection.hcm;
}

function routeConfigOf(deps: HttpDependencies, hcm: Obj): EnvoyRouteConfiguration | undefined {
  const rds = hcm['rds'] as { route_config_name?: string } | undefined;
  if (rds?.route_config_name) return deps.snapshot().config.routes.get(rds.route_config_name);
  return hcm['route_config'] as EnvoyRouteConfiguration | undefined;
}

export function admitRequest(
  request: AdmittedRequest,
  connection: DownstreamConnection,
  deps: HttpDependencies,
): Admission {
  const hcm = currentHcm(deps, connection);
  const path = connection.direction === 'inbound' ? managedPath(hcm, request.path) : request.path;
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

  const rbac = enforceRbac((hcm['http_filters'] ?? []) as EnvoyFilter[], connection, deps, headers);
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

  const routeConfig = routeConfigOf(deps, hcm);
  const decision = routeConfig ? decideRoute(routeConfig, headers) : ({ kind: 'no-route' } as const);
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
      return { kind: 'forward', decision, hcm, ...(hashKey === undefined ? {} : { hashKey }) };
    }
  }
}
