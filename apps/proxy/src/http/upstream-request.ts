import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ClientHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';

import type { UpstreamEndpoint } from '../clusters/cluster-manager.js';
import { applyMutation, forwardableHeaders } from './http-headers.js';
import { decodePeerMetadata, PEER_METADATA, PEER_METADATA_ID, type PeerMetadata } from './peer-metadata.js';
import type { DownstreamRequest, DownstreamResponse } from './request-handler.js';
import type { HeaderMutation } from './route-decision.js';
import type { UpstreamPools } from './upstream-pools.js';

/**
 * One attempt of the router: the request to one endpoint over HTTP/1.1 (undici pool) or HTTP/2
 * (one multiplexed session per endpoint, for gRPC and h2), and the response streamed back with its
 * trailers. A retriable answer is held back (its body discarded) when the router may retry.
 */

export type UpstreamAttempt =
  | {
      kind: 'response';
      status: number;
      /** Sent downstream (false: held back for a retry). */
      delivered: boolean;
      sent: number;
      peer?: PeerMetadata;
      peerPrincipal?: string;
      grpcStatus?: number;
    }
  | { kind: 'failure'; reason: 'connect' | 'reset' | 'timeout'; message: string };

export interface AttemptOptions {
  endpoint: UpstreamEndpoint;
  method: string;
  path: string;
  authority: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined | 'stream';
  h2: boolean;
  timeoutMs: number | undefined;
  direction: 'inbound' | 'outbound';
  reporterHeader: string;
  responseMutation: HeaderMutation;
  canRetry: boolean;
  retryable: (attempt: UpstreamAttempt) => boolean;
  pools: UpstreamPools;
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function failureOf(err: unknown, connected: boolean): UpstreamAttempt {
  const error = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = error.code ?? error.cause?.code ?? '';
  const message = error.cause?.message ?? error.message;
  if (code === 'ABORT_ERR' || error.name === 'AbortError' || code === 'UND_ERR_ABORTED')
    return { kind: 'failure', reason: 'timeout', message: 'timeout' };
  if (!connected || CONNECT_ERRORS.has(code) || /certificate|identity|handshake|SSL|TLS/i.test(message))
    return { kind: 'failure', reason: connected ? 'reset' : 'connect', message: message || code };
  return { kind: 'failure', reason: 'reset', message: message || code };
}

/** The response headers to send downstream, after the metadata exchange and the route's changes. */
function downstreamHeaders(
  upstream: IncomingHttpHeaders,
  options: AttemptOptions,
  serviceMs: number,
): { headers: OutgoingHttpHeaders; peer?: PeerMetadata } {
  const headers: Record<string, string | string[]> = forwardableHeaders(upstream);
  const peer = options.direction === 'outbound' ? decodePeerMetadata(upstream[PEER_METADATA]) : undefined;
  delete headers[PEER_METADATA];
  delete headers[PEER_METADATA_ID];
  if (options.direction === 'inbound') headers[PEER_METADATA] = options.reporterHeader;
  headers['x-envoy-upstream-service-time'] = String(serviceMs);
  headers['server'] = 'istio-envoy';
  applyMutation(headers, options.responseMutation);
  return { headers, ...(peer ? { peer } : {}) };
}

function countBytes(stream: Readable): () => number {
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
  return () => bytes;
}

async function viaHttp1(
  req: DownstreamRequest,
  res: DownstreamResponse,
  options: AttemptOptions,
  pools: UpstreamPools,
): Promise<UpstreamAttempt> {
  const pool = pools.http1(options.endpoint);
  const controller = new AbortController();
  const timer =
    options.timeoutMs !== undefined ? setTimeout(() => controller.abort(), options.timeoutMs) : undefined;
  const onClose = () => controller.abort();
  res.once('close', onClose);
  const started = Date.now();
  try {
    const response = await pool.request({
      path: options.path,
      method: options.method as 'GET',
      headers: { ...options.headers, host: options.authority },
      body: options.body === 'stream' ? (req as Readable) : (options.body ?? null),
      signal: controller.signal,
    });
    const attempt: UpstreamAttempt = {
      kind: 'response',
      status: response.statusCode,
      delivered: true,
      sent: 0,
    };
    if (options.canRetry && options.retryable(attempt)) {
      response.body.resume();
      return { ...attempt, delivered: false };
    }
    const { headers, peer } = downstreamHeaders(response.headers, options, Date.now() - started);
    (res as ServerResponse).writeHead(response.statusCode, headers);
    const sent = countBytes(response.body);
    for await (const chunk of response.body)
      if (!(res as ServerResponse).write(chunk as Buffer)) await new Promise((r) => res.once('drain', r));
    res.end();
    const principal = pools.upstreamPrincipal(options.endpoint);
    return {
      ...attempt,
      sent: sent(),
      ...(peer ? { peer } : {}),
      ...(principal ? { peerPrincipal: principal } : {}),
    };
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return { kind: 'response', status: res.statusCode, delivered: true, sent: 0 };
    }
    return failureOf(err, false);
  } finally {
    clearTimeout(timer);
    res.off('close', onClose);
  }
}

function viaHttp2(
  req: DownstreamRequest,
  res: DownstreamResponse,
  options: AttemptOptions,
  pools: UpstreamPools,
): Promise<UpstreamAttempt> {
  const session = pools.http2(options.endpoint);
  const started = Date.now();
  return new Promise((resolve) => {
    let stream: ClientHttp2Stream;
    let responded = false;
    try {
      stream = session.request({
        ':method': options.method,
        ':path': options.path,
        ':authority': options.authority,
        ':scheme': options.endpoint.transport ? 'https' : 'http',
        ...options.headers,
      });
    } catch (err) {
      resolve(failureOf(err, false));
      return;
    }
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => stream.close(8 /* CANCEL */), options.timeoutMs)
        : undefined;
    const onClose = () => stream.close(8);
    res.once('close', onClose);
    const done = (attempt: UpstreamAttempt) => {
      clearTimeout(timer);
      res.off('close', onClose);
      resolve(attempt);
    };
    if (options.body === 'stream') (req as Readable).pipe(stream);
    else stream.end(options.body);
    stream.on('error', (err) => {
      if (responded) res.destroy();
      else
        done(
          timer && stream.rstCode === 8
            ? { kind: 'failure', reason: 'timeout', message: 'timeout' }
            : failureOf(err, session.connecting === false),
        );
    });
    stream.once('response', (upstream) => {
      responded = true;
      const status = Number(upstream[':status'] ?? 502);
      const grpcInHeaders = upstream['grpc-status'];
      const attempt: UpstreamAttempt = { kind: 'response', status, delivered: true, sent: 0 };
      if (options.canRetry && options.retryable(attempt)) {
        stream.resume();
        stream.close();
        done({ ...attempt, delivered: false });
        return;
      }
      const { headers, peer } = downstreamHeaders(upstream, options, Date.now() - started);
      (res as ServerResponse).writeHead(status, headers);
      let grpcStatus = grpcInHeaders === undefined ? undefined : Number(grpcInHeaders);
      stream.on('trailers', (trailers) => {
        if (trailers['grpc-status'] !== undefined) grpcStatus = Number(trailers['grpc-status']);
        if ('addTrailers' in res) res.addTrailers(forwardableHeaders(trailers));
      });
      const sent = countBytes(stream);
      stream.pipe(res as NodeJS.WritableStream);
      stream.once('end', () => {
        const principal = pools.upstreamPrincipal(options.endpoint);
        done({
          ...attempt,
          sent: sent(),
          ...(peer ? { peer } : {}),
          ...(principal ? { peerPrincipal: principal } : {}),
          ...(grpcStatus !== undefined ? { grpcStatus } : {}),
        });
      });
    });
  });
}

export function sendUpstream(
  req: DownstreamRequest,
  res: DownstreamResponse,
  options: AttemptOptions,
): Promise<UpstreamAttempt> {
  return options.h2 ? viaHttp2(req, res, options, options.pools) : viaHttp1(req, res, options, options.pools);
}
