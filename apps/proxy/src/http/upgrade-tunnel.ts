import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

import { single } from './http-headers.js';
import type { DownstreamConnection, HttpDependencies } from './http-stream-context.js';
import { admitRequest } from './request-admission.js';
import { upstreamHeadersFor } from './request-handler.js';
import { ISTIO_ALPN } from './upstream-pools.js';

/**
 * HTTP/1.1 upgrades (WebSocket): admitted like any request (RBAC, route), allowed when the HTTP
 * manager's `upgrade_configs` lists the protocol (Istio lists `websocket`), then the upgrade request
 * is sent to an endpoint of the route's cluster on a connection of its own and, once the upstream
 * answers, bytes are copied both ways until either side closes.
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

export function handleUpgrade(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  connection: DownstreamConnection,
  deps: HttpDependencies,
): void {
  socket.on('error', () => undefined);
  const authority = req.headers.host ?? '';
  const admission = admitRequest(
    { method: req.method ?? 'GET', path: req.url ?? '/', authority, headers: req.headers },
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
  const upstream = deps.pools.connect(endpoint, endpoint.transport ? ISTIO_ALPN.http1 : undefined);
  const { headers } = upstreamHeadersFor(req.headers, connection, admission.hcm, deps);
  headers['host'] = decision.authority ?? authority;
  headers['connection'] = 'Upgrade';
  headers['upgrade'] = single(req.headers.upgrade) ?? protocol;
  const lines = Object.entries(headers).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`),
  );
  upstream.once(endpoint.transport ? 'secureConnect' : 'connect', () => {
    upstream.write(`${req.method ?? 'GET'} ${decision.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const close = () => {
    release();
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', () => {
    if (!socket.destroyed && socket.bytesWritten === 0)
      rawResponse(socket, 503, 'Service Unavailable', 'upstream connect error');
    close();
  });
  upstream.on('close', close);
  socket.on('close', close);
}
