import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

import {
  chainName,
  managedPath,
  networkFilter,
  runRbacFilters,
  type EnvoyFilter,
  type EnvoyRouteConfiguration,
} from '@mesh/xds';

import { forwardTraceContext } from '../telemetry/index.js';
import type { AccessLogRecord } from '../telemetry/index.js';
import { forwardableHeaders, routingHeaders, single } from './http-headers.js';
import type { DownstreamConnection, HttpDependencies } from './http-stream-context.js';
import { decodePeerMetadata, PEER_METADATA, PEER_METADATA_ID, type PeerMetadata } from './peer-metadata.js';
import { decideRoute } from './route-decision.js';
import { forwardWithRetries, type ForwardOutcome } from './router.js';

/**
 * Envoy's HTTP connection manager for one request: path normalization, the RBAC filters (403
 * `RBAC: access denied`, naming the deciding policy in the access log and metrics), routing by
 * virtual host and route, fault injection, then the router. Every request ends in the metrics and
 * the access log, whatever happened to it.
 */

export type DownstreamRequest = IncomingMessage | Http2ServerRequest;
export type DownstreamResponse = ServerResponse | Http2ServerResponse;

type Obj = Record<string, unknown>;

const HCM = 'envoy.filters.network.http_connection_manager';

/** Sends a locally generated response (Envoy's "local reply"). */
export function localReply(
  res: DownstreamResponse,
  status: number,
  body: string,
  extra: Record<string, string> = {},
): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const payload = Buffer.from(body);
  (res as ServerResponse).writeHead(status, {
    'content-type': 'text/plain',
    'content-length': String(payload.length),
    server: 'istio-envoy',
    ...extra,
  });
  res.end(payload);
  return payload.length;
}

function routeConfigOf(deps: HttpDependencies, hcm: Obj): EnvoyRouteConfiguration | undefined {
  const rds = hcm['rds'] as { route_config_name?: string } | undefined;
  if (rds?.route_config_name) return deps.snapshot().config.routes.get(rds.route_config_name);
  return hcm['route_config'] as EnvoyRouteConfiguration | undefined;
}

export async function handleRequest(
  req: DownstreamRequest,
  res: DownstreamResponse,
  connection: DownstreamConnection,
  deps: HttpDependencies,
): Promise<void> {
  const started = Date.now();
  const method = req.method ?? 'GET';
  const rawPath = req.url ?? '/';
  const authority = single(req.headers[':authority']) ?? req.headers.host ?? '';
  const grpc = String(req.headers['content-type'] ?? '').startsWith('application/grpc');
  const inbound = connection.direction === 'inbound';
  const peer: PeerMetadata | undefined = inbound ? decodePeerMetadata(req.headers[PEER_METADATA]) : undefined;

  const log: AccessLogRecord = {
    startTime: new Date(started),
    method,
    path: rawPath,
    protocol: req.httpVersion === '2.0' ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
    bytesReceived: 0,
    bytesSent: 0,
    durationMs: 0,
    authority,
    downstreamLocalAddress: `${connection.localAddress}:${connection.localPort}`,
    downstreamRemoteAddress: `${connection.remoteAddress}:${connection.remotePort}`,
    ...(connection.sni ? { requestedServerName: connection.sni } : {}),
    ...(single(req.headers['user-agent']) ? { userAgent: single(req.headers['user-agent']) } : {}),
    ...(single(req.headers['x-forwarded-for'])
      ? { xForwardedFor: single(req.headers['x-forwarded-for']) }
      : {}),
  };
  const finish = (
    outcome: Partial<ForwardOutcome> & { status: number; flags: string; details: string; sent: number },
  ) => {
    log.responseCode = outcome.status;
    log.responseFlags = outcome.flags;
    log.responseCodeDetails = outcome.details;
    log.bytesReceived = outcome.received ?? 0;
    log.bytesSent = outcome.sent;
    log.durationMs = Date.now() - started;
    if (outcome.upstreamHost) log.upstreamHost = outcome.upstreamHost;
    if (outcome.clusterName) log.upstreamCluster = outcome.clusterName;
    if (outcome.upstreamServiceTimeMs !== undefined)
      log.upstreamServiceTimeMs = outcome.upstreamServiceTimeMs;
    if (outcome.transportFailure) log.upstreamTransportFailureReason = outcome.transportFailure;
    deps.reporter.request({
      direction: connection.direction,
      ...((outcome.peer ?? peer) ? { peer: outcome.peer ?? peer } : {}),
      ...(connection.peerPrincipal && inbound ? { peerPrincipal: connection.peerPrincipal } : {}),
      ...(!inbound && outcome.peerPrincipal ? { peerPrincipal: outcome.peerPrincipal } : {}),
      mutualTls: connection.tls && connection.peerPrincipal !== undefined,
      ...(outcome.clusterName
        ? { clusterName: outcome.clusterName, cluster: deps.clusters.cluster(outcome.clusterName) }
        : {}),
      authority,
      responseFlags: outcome.flags,
      grpc,
      ...(outcome.grpcStatus !== undefined ? { grpcStatus: outcome.grpcStatus } : {}),
      log,
    });
  };

  const hcm = currentHcm(deps, connection);
  const path = inbound ? managedPath(hcm, rawPath) : rawPath;
  if (path === undefined) {
    finish({
      status: 400,
      flags: '-',
      details: 'path_normalization_failed',
      sent: localReply(res, 400, 'Bad Request'),
    });
    return;
  }
  const headers = routingHeaders(req.headers, method, path, authority, connection.tls ? 'https' : 'http');

  const rbac = runRbacFilters((hcm['http_filters'] ?? []) as EnvoyFilter[], {
    destinationPort: connection.localPort,
    requestedServerName: connection.sni ?? '',
    directRemoteIp: connection.remoteAddress,
    destinationIp: connection.localAddress,
    headers,
    ...(connection.tls && connection.peerPrincipal
      ? { peerCertificate: { uriSans: [`spiffe://${connection.peerPrincipal}`] } }
      : {}),
  });
  for (const shadow of rbac?.shadow ?? [])
    if (shadow.effect === 'denied')
      deps.reporter.rbac({ policy: shadow.policy ?? 'none', filter: 'http', shadow: true });
  if (rbac?.decision === 'DENY') {
    const policy = rbac.policy ?? 'none';
    deps.reporter.rbac({ policy, filter: 'http', shadow: false });
    const sent = localReply(res, 403, 'RBAC: access denied');
    finish({ status: 403, flags: '-', details: `rbac_access_denied_matched_policy[${policy}]`, sent });
    return;
  }

  const routeConfig = routeConfigOf(deps, hcm);
  const decision = routeConfig ? decideRoute(routeConfig, headers) : ({ kind: 'no-route' } as const);
  if (decision.kind === 'no-route') {
    finish({ status: 404, flags: 'NR', details: 'route_not_found', sent: localReply(res, 404, '') });
    return;
  }
  log.routeName = decision.route;
  if (decision.kind === 'direct') {
    finish({
      status: decision.status,
      flags: '-',
      details: 'direct_response',
      sent: localReply(res, decision.status, decision.body ?? ''),
    });
    return;
  }
  if (decision.kind === 'redirect') {
    const sent = localReply(res, decision.status, '', { location: decision.location });
    finish({ status: decision.status, flags: '-', details: 'via_redirect', sent });
    return;
  }

  const fault = decision.fault;
  if (fault?.delayMs && Math.random() < fault.delayFraction)
    await new Promise((r) => setTimeout(r, fault.delayMs));
  if (
    (fault?.abortStatus || fault?.abortGrpcStatus !== undefined) &&
    Math.random() < (fault?.abortFraction ?? 0)
  ) {
    const grpcAbort = fault?.abortGrpcStatus !== undefined && grpc;
    const status = grpcAbort ? 200 : (fault?.abortStatus ?? 503);
    const extra: Record<string, string> = grpcAbort
      ? {
          'content-type': 'application/grpc',
          'grpc-status': String(fault?.abortGrpcStatus),
          'grpc-message': 'fault filter abort',
        }
      : {};
    finish({
      status,
      flags: 'FI',
      details: 'fault_filter_abort',
      sent: localReply(res, status, grpcAbort ? '' : 'fault filter abort', extra),
    });
    return;
  }

  const upstreamHeaders = forwardableHeaders(req.headers);
  delete upstreamHeaders[PEER_METADATA];
  delete upstreamHeaders[PEER_METADATA_ID];
  const trace = forwardTraceContext(upstreamHeaders);
  Object.assign(upstreamHeaders, trace.headers);
  log.requestId = trace.requestId;
  upstreamHeaders['x-forwarded-proto'] = connection.tls ? 'https' : 'http';
  if (!inbound) {
    upstreamHeaders[PEER_METADATA] = deps.reporter.metadataHeader;
    upstreamHeaders[PEER_METADATA_ID] = deps.reporter.nodeId;
  } else if (connection.peerPrincipal) {
    upstreamHeaders['x-forwarded-client-cert'] =
      `By=spiffe://${principalOf(deps)};URI=spiffe://${connection.peerPrincipal}`;
  }

  const outcome = await forwardWithRetries(req, res, {
    decision,
    headers: upstreamHeaders,
    authority: decision.authority ?? authority,
    method,
    downstreamH2: req.httpVersion === '2.0',
    grpc,
    connection,
    deps,
  });
  finish(outcome);
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

function principalOf(deps: HttpDependencies): string {
  return deps.reporter.self.principal.replace(/^spiffe:\/\//, '');
}
