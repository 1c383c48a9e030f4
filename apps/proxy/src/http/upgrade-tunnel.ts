import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';

import { forwardableHeaders, single } from './http-headers.js';
import type { DownstreamConnection, HttpDependencies } from './http-stream-context.js';
import { PEER_METADATA, PEER_METADATA_ID } from './peer-metadata.js';
import { admitRequest } from './request-admission.js';
import { upstreamHeadersFor } from './request-handler.js';
import { ISTIO_ALPN } from './upstream-pools.js';

/**
 * HTTP/1.1 upgrades (WebSocket) as Envoy's HTTP connection manager runs them: the upgrade request is
 * admitted like any request (RBAC, route) and allowed when the manager's `upgrade_configs` lists the
 * protocol (Istio lists `websocket`); it goes to an endpoint of the route's cluster on a connection
 * of its own, and only a `101 Switching Protocols` from there turns the downstream connection into a
 * tunnel. Any other answer is relayed as an ordinary response and the connection goes back to the
 * HTTP codec, so each later request on it is admitted on its own. Bytes the client sends meanwhile
 * stay unread: they reach the upstream only once it has switched protocols.
 */

function rawResponse(socket: Socket, status: number, reason: string, body = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nserver: istio-envoy\r\nconnection: close\r\n\r\n${body}`,
  );
}

function upgradeAllowed(hcm: Record<string, unknown>, protocol: string): boolean {
  const configs = (hcm['upgrade_configs'] ?? []) as { upgrade_type?: string; enabled?: { value: boolean } }[];
  return configs.some((c) => c.upgrade_type?.toLowerCase() === protocol && c.enabled?.value !== false);
}

/**
 * The servers' `shouldUpgradeCallback`: an upgrade request that declares a body is served as an
 * ordinary request (its `Upgrade` header dropped as hop-by-hop), so its body can never be taken for
 * the next request on the connection.
 */
export function upgradeWithoutBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] === undefined && Number(req.headers['content-length'] ?? 0) === 0;
}

/** Gives a connection back to the HTTP/1.1 codec `server`, with the bytes it already read from it. */
function returnToCodec(server: Server, socket: Socket, buffered: Buffer): void {
  if (buffered.length > 0) socket.unshift(buffered);
  server.emit('connection', socket);
  socket.resume();
}

/** The status line and headers of a switching response, as the upstream sent them. */
function switchingHead(res: IncomingMessage): string {
  const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Relays a response that did not switch protocols, framed for a connection that stays open: its
 * own content-length, or chunked when the upstream delimited the body by closing. Resolves once sent.
 */
function relayResponse(res: IncomingMessage, socket: Socket, method: string): Promise<void> {
  const status = res.statusCode ?? 502;
  const headers = forwardableHeaders(res.headers);
  delete headers[PEER_METADATA];
  delete headers[PEER_METADATA_ID];
  headers['server'] = 'istio-envoy';
  const bodyless = method === 'HEAD' || status === 204 || status === 304;
  const chunked = !bodyless && headers['content-length'] === undefined;
  if (chunked) headers['transfer-encoding'] = 'chunked';
  const lines = Object.entries(headers).flatMap(([name, value]) =>
    [value].flat().map((v) => `${name}: ${v}`),
  );
  socket.write(`HTTP/1.1 ${status} ${res.statusMessage ?? ''}\r\n${lines.join('\r\n')}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    res.on('data', (chunk: Buffer) => {
      if (bodyless) return;
      const more = chunked
        ? socket.write(`${chunk.length.toString(16)}\r\n`) && socket.write(chunk) && socket.write('\r\n')
        : socket.write(chunk);
      if (!more) {
        res.pause();
        socket.once('drain', () => res.resume());
      }
    });
    res.once('end', () => {
      if (chunked) socket.write('0\r\n\r\n');
      resolve();
    });
    res.once('error', reject);
  });
}

export function handleUpgrade(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  connection: DownstreamConnection,
  deps: HttpDependencies,
  codec: Server,
): void {
  const ignore = () => undefined;
  socket.on('error', ignore);
  const method = req.method ?? 'GET';
  const authority = req.headers.host ?? '';
  const admission = admitRequest(
    { method, path: req.url ?? '/', authority, headers: req.headers },
    connection,
    deps,
  );
  if (admission.kind === 'reply') {
    rawResponse(socket, admission.status, admission.details, admission.body);
    return;
  }
  const protocol = (single(req.headers.upgrade) ?? '').toLowerCase();
  if (!upgradeAllowed(admission.hcm, protocol)) {
    rawResponse(socket, 403, 'Forbidden', `upgrade to ${protocol} is not enabled`);
    return;
  }
  const { decision } = admission;
  const picked = deps.clusters.pick(decision.cluster, connection.originalDestination);
  if ('error' in picked) {
    rawResponse(socket, 503, 'Service Unavailable', picked.message);
    return;
  }
  const endpoint = picked.endpoint;
  const release = deps.clusters.track(endpoint);
  const upstreamSocket = deps.pools.connect(endpoint, endpoint.transport ? ISTIO_ALPN.http1 : undefined);
  const { headers } = upstreamHeadersFor(req.headers, connection, admission.hcm, deps);
  headers['host'] = decision.authority ?? authority;
  headers['connection'] = 'Upgrade';
  headers['upgrade'] = single(req.headers.upgrade) ?? protocol;
  const upstreamReq = httpRequest({
    createConnection: () => upstreamSocket,
    method,
    path: decision.path,
    headers,
    setHost: false,
  });
  let answered = false;
  let done = false;
  /** Ends the exchange; `keepDownstream`: the connection goes back to the codec instead of closing. */
  const finish = (keepDownstream = false) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    release();
    socket.off('close', onDownstreamClose);
    upstreamReq.destroy();
    upstreamSocket.destroy();
    if (!keepDownstream) socket.destroy();
    else if (!socket.destroyed) {
      socket.off('error', ignore);
      returnToCodec(codec, socket, head);
    }
  };
  const onDownstreamClose = () => finish();
  socket.once('close', onDownstreamClose);
  // The route's timeout bounds the wait for the upstream's answer (0: none, Istio's default).
  const timer =
    decision.timeoutMs > 0
      ? setTimeout(() => {
          if (!answered) rawResponse(socket, 504, 'Gateway Timeout', 'upstream request timeout');
          finish();
        }, decision.timeoutMs)
      : undefined;
  upstreamReq.on('error', () => {
    if (!answered && !socket.destroyed)
      rawResponse(socket, 503, 'Service Unavailable', 'upstream connect error');
    finish();
  });
  upstreamReq.once('upgrade', (res: IncomingMessage, upstream: Socket, upstreamHead: Buffer) => {
    answered = true;
    clearTimeout(timer);
    socket.write(switchingHead(res));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstream.write(head);
    upstream.on('error', ignore);
    upstream.once('close', () => finish());
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstreamReq.once('response', (res: IncomingMessage) => {
    answered = true;
    clearTimeout(timer);
    if (res.statusCode === 101) {
      // 101 without the upgrade handshake's headers: neither a tunnel nor an HTTP response.
      rawResponse(socket, 502, 'Bad Gateway', 'upstream switched protocols without an upgrade');
      finish();
      return;
    }
    // The upgrade did not happen: the connection is HTTP again, its next request admitted anew.
    relayResponse(res, socket, method).then(
      () => finish(true),
      () => finish(),
    );
  });
  upstreamReq.end();
}
