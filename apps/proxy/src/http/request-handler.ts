import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

import { forwardTraceContext } from '../telemetry/index.js';
import type { AccessLogRecord } from '../telemetry/index.js';
import { upstreamXfcc, XFCC } from './forwarded-client-cert.js';
import { forwardableHeaders, single } from './http-headers.js';
import type { DownstreamConnection, HttpDependencies } from './http-stream-context.js';
import { admitRequest } from './request-admission.js';
import { decodePeerMetadata, PEER_METADATA, PEER_METADATA_ID, type PeerMetadata } from './peer-metadata.js';
import { forwardWithRetries, type ForwardOutcome } from './router.js';

/**
 * Envoy's HTTP connection manager for one request: path normalization, the RBAC filters (403
 * `RBAC: access denied`, naming the deciding policy in the access log and metrics), routing by
 * virtual host and route, fault injection, then the router. Every request ends in the metrics and
 * the access log, whatever happened to it.
 */

export type DownstreamRequest = IncomingMessage | Http2ServerRequest;
export type DownstreamResponse = ServerResponse | Http2ServerResponse;

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

  const admission = admitRequest(
    { method, path: rawPath, authority, headers: req.headers },
    connection,
    deps,
  );
  if (admission.kind === 'reply') {
    if (admission.route !== undefined) log.routeName = admission.route;
    const sent = localReply(res, admission.status, admission.body, admission.headers);
    finish({ status: admission.status, flags: admission.flags, details: admission.details, sent });
    return;
  }
  const decision = admission.decision;
  log.routeName = decision.route;

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

  const { headers: upstreamHeaders, requestId } = upstreamHeadersFor(
    req.headers,
    connection,
    admission.hcm,
    deps,
  );
  log.requestId = requestId;

  const outcome = await forwardWithRetries(req, res, {
    decision,
    headers: upstreamHeaders,
    authority: decision.authority ?? authority,
    method,
    downstreamH2: req.httpVersion === '2.0',
    grpc,
    connection,
    deps,
    ...(admission.hashKey === undefined ? {} : { hashKey: admission.hashKey }),
  });
  finish(outcome);
}

/**
 * The request headers sent upstream: end-to-end headers, the trace continued (W3C and B3) with an
 * `x-request-id`, Istio's metadata exchange outbound, and `x-forwarded-client-cert` as the HTTP
 * manager `hcm` says (the caller's own is never passed on from a plaintext or unverified peer).
 */
export function upstreamHeadersFor(
  downstream: IncomingHttpHeaders,
  connection: DownstreamConnection,
  hcm: Record<string, unknown>,
  deps: HttpDependencies,
): { headers: Record<string, string | string[]>; requestId: string } {
  const headers = forwardableHeaders(downstream);
  delete headers[PEER_METADATA];
  delete headers[PEER_METADATA_ID];
  const trace = forwardTraceContext(headers);
  Object.assign(headers, trace.headers);
  headers['x-forwarded-proto'] = connection.tls ? 'https' : 'http';
  if (connection.direction === 'outbound') {
    headers[PEER_METADATA] = deps.reporter.metadataHeader;
    headers[PEER_METADATA_ID] = deps.reporter.nodeId;
  }
  const xfcc = upstreamXfcc(downstream[XFCC], hcm, connection.clientCertificate);
  if (xfcc === undefined) delete headers[XFCC];
  else headers[XFCC] = xfcc;
  return { headers, requestId: trace.requestId };
}
