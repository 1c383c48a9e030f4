import { setTimeout as sleep } from 'node:timers/promises';

import type { UpstreamEndpoint } from '../clusters/cluster-manager.js';
import { applyMutation } from './http-headers.js';
import type { DownstreamConnection, HttpDependencies } from './http-stream-context.js';
import type { PeerMetadata } from './peer-metadata.js';
import type { DownstreamRequest, DownstreamResponse } from './request-handler.js';
import { localReply } from './request-handler.js';
import type { RouteDecision, RetryPolicy } from './route-decision.js';
import { sendUpstream, type UpstreamAttempt } from './upstream-request.js';

/**
 * Envoy's router filter: picks an endpoint of the route's cluster, sends the request over HTTP/1.1 or
 * HTTP/2, and retries as the route's retry policy says (on another host, with Envoy's jittered 25 ms
 * base backoff) when the request body could be kept. Local replies carry Envoy's texts and response
 * flags (`UH` no healthy upstream, `UF` connection failure, `UT` timeout, `URX` retries exhausted).
 */

export interface ForwardOutcome {
  status: number;
  flags: string;
  details: string;
  sent: number;
  clusterName: string;
  upstreamHost?: string;
  upstreamServiceTimeMs?: number;
  transportFailure?: string;
  peer?: PeerMetadata;
  peerPrincipal?: string;
  grpcStatus?: number;
  /** Request body bytes read from downstream. */
  received?: number;
}

export interface ForwardArgs {
  decision: Extract<RouteDecision, { kind: 'forward' }>;
  headers: Record<string, string | string[]>;
  authority: string;
  method: string;
  downstreamH2: boolean;
  grpc: boolean;
  connection: DownstreamConnection;
  deps: HttpDependencies;
  hashKey?: string;
}

/** Bodies up to this size are kept in memory so the request can be retried (Envoy buffers too). */
const MAX_BUFFERED_BODY = 64 * 1024;
const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

async function bufferedBody(req: DownstreamRequest, grpc: boolean): Promise<Buffer | undefined | 'stream'> {
  if (grpc) return 'stream';
  const length = req.headers['content-length'];
  const chunked = String(req.headers['transfer-encoding'] ?? '').includes('chunked');
  if (length === undefined && !chunked && (req.httpVersion !== '2.0' || BODYLESS.has(req.method ?? ''))) {
    req.resume();
    return undefined;
  }
  if (length === undefined || Number(length) > MAX_BUFFERED_BODY) return 'stream';
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function shouldRetry(policy: RetryPolicy, attempt: UpstreamAttempt): boolean {
  const on = policy.retryOn;
  if (attempt.kind === 'failure')
    return attempt.reason === 'connect'
      ? on.has('connect-failure') || on.has('5xx') || on.has('gateway-error') || on.has('reset')
      : attempt.reason === 'reset' && (on.has('reset') || on.has('5xx'));
  const status = attempt.status;
  if (on.has('retriable-status-codes') && policy.retriableStatusCodes.has(status)) return true;
  if (on.has('5xx') && status >= 500) return true;
  return on.has('gateway-error') && (status === 502 || status === 503 || status === 504);
}

function failureReply(
  res: DownstreamResponse,
  attempt: Extract<UpstreamAttempt, { kind: 'failure' }>,
  retried: boolean,
) {
  if (attempt.reason === 'timeout')
    return {
      status: 504,
      flags: 'UT',
      details: 'upstream_response_timeout',
      sent: localReply(res, 504, 'upstream request timeout'),
    };
  const reason = attempt.reason === 'connect' ? 'connection failure' : 'remote reset';
  const body = `upstream connect error or disconnect/reset before headers. reset reason: ${reason}, transport failure reason: ${attempt.message}`;
  const flags = attempt.reason === 'connect' ? 'UF' : 'UC';
  return {
    status: 503,
    flags: retried ? `${flags},URX` : flags,
    details: `upstream_reset_before_response_started{${reason}}`,
    sent: localReply(res, 503, body),
    transportFailure: attempt.message,
  };
}

/**
 * Envoy's request mirroring: a copy of the request (Host suffixed with `-shadow`) goes to each mirror
 * cluster for its fraction of requests, fire and forget; its answer is discarded. Only requests whose
 * body was kept can be copied.
 */
function mirror(args: ForwardArgs, body: Buffer | undefined): void {
  for (const { cluster, fraction } of args.decision.mirrors) {
    if (Math.random() >= fraction) continue;
    const picked = args.deps.clusters.pick(cluster, args.connection.originalDestination);
    if ('error' in picked) continue;
    const [host, port] = args.authority.split(/:(?=\d+$)/);
    args.deps.pools
      .http1(picked.endpoint)
      .request({
        path: args.decision.path,
        method: args.method as 'GET',
        headers: { ...args.headers, host: `${host}-shadow${port ? `:${port}` : ''}` },
        body: body ?? null,
      })
      .then((response) => response.body.resume())
      .catch(() => undefined);
  }
}

export async function forwardWithRetries(
  req: DownstreamRequest,
  res: DownstreamResponse,
  args: ForwardArgs,
): Promise<ForwardOutcome> {
  const { decision, deps } = args;
  const clusterName = decision.cluster;
  applyMutation(args.headers, decision.request);
  const body = await bufferedBody(req, args.grpc);
  // Counted as it is read: a 'data' listener added earlier would start the stream before it is piped.
  let received = body instanceof Buffer ? body.length : 0;
  if (body === 'stream') req.on('data', (chunk: Buffer) => (received += chunk.length));
  const retry = body === 'stream' ? undefined : decision.retry;
  if (body !== 'stream') mirror(args, body);
  const attempts = 1 + (retry?.numRetries ?? 0);
  const tried = new Set<string>();
  const deadline = decision.timeoutMs > 0 ? Date.now() + decision.timeoutMs : undefined;
  let last: { attempt: UpstreamAttempt; endpoint: UpstreamEndpoint } | undefined;

  if (deps.clusters.overflowed(clusterName)) {
    const body = 'upstream connect error or disconnect/reset before headers. reset reason: overflow';
    return {
      status: 503,
      flags: 'UO',
      details: 'upstream_reset_before_response_started{overflow}',
      sent: localReply(res, 503, body),
      clusterName,
    };
  }
  for (let n = 0; n < attempts; n++) {
    if (n > 0) await sleep(Math.random() * 25 * 2 ** Math.min(n, 4));
    const picked = deps.clusters.pick(clusterName, args.connection.originalDestination, tried, args.hashKey);
    if ('error' in picked) {
      const status = 503;
      return picked.error === 'NC'
        ? {
            status,
            flags: 'NC',
            details: 'cluster_not_found',
            sent: localReply(res, status, ''),
            clusterName,
          }
        : {
            status,
            flags: 'UH',
            details: 'no_healthy_upstream',
            sent: localReply(res, status, 'no healthy upstream'),
            clusterName,
          };
    }
    const endpoint = picked.endpoint;
    tried.add(endpoint.key);
    if (n > 0) args.headers['x-envoy-attempt-count'] = String(n + 1);
    const remaining = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
    const tryTimeout = Math.min(remaining ?? Infinity, retry?.perTryTimeoutMs ?? Infinity);
    const release = deps.clusters.track(endpoint);
    const started = Date.now();
    const attempt = await sendUpstream(req, res, {
      endpoint,
      method: args.method,
      path: decision.path,
      authority: args.authority,
      headers: args.headers,
      body: body === 'stream' ? 'stream' : body,
      h2: args.downstreamH2 && (args.grpc || endpoint.transport !== undefined),
      timeoutMs: Number.isFinite(tryTimeout) ? tryTimeout : undefined,
      direction: args.connection.direction,
      reporterHeader: deps.reporter.metadataHeader,
      responseMutation: decision.response,
      canRetry: retry !== undefined && n + 1 < attempts,
      retryable: (a) => retry !== undefined && shouldRetry(retry, a),
      pools: deps.pools,
    }).finally(release);
    last = { attempt, endpoint };
    deps.clusters.report(endpoint, attempt.kind === 'response' ? attempt.status : 0);
    if (attempt.kind === 'response' && attempt.delivered) {
      return {
        received,
        status: attempt.status,
        flags: '-',
        details: 'via_upstream',
        sent: attempt.sent,
        clusterName,
        upstreamHost: endpoint.key,
        upstreamServiceTimeMs: Date.now() - started,
        ...(attempt.peer ? { peer: attempt.peer } : {}),
        ...(attempt.peerPrincipal ? { peerPrincipal: attempt.peerPrincipal } : {}),
        ...(attempt.grpcStatus !== undefined ? { grpcStatus: attempt.grpcStatus } : {}),
      };
    }
    if (attempt.kind === 'failure' && attempt.reason === 'timeout') break;
    if (!retry || !shouldRetry(retry, attempt)) break;
  }
  if (last?.attempt.kind === 'failure')
    return {
      ...failureReply(res, last.attempt, attempts > 1),
      clusterName,
      upstreamHost: last.endpoint.key,
      received,
    };
  // A retriable status on the last attempt was not delivered: tell the client what the upstream said.
  const status = last?.attempt.kind === 'response' ? last.attempt.status : 503;
  return {
    status,
    flags: 'URX',
    details: 'via_upstream',
    sent: localReply(res, status, ''),
    clusterName,
    ...(last ? { upstreamHost: last.endpoint.key } : {}),
  };
}
