import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { connect } from 'node:net';

import { Client, credentials, Metadata, status as grpcStatus } from '@grpc/grpc-js';

import type { AppProber, GrpcProber, HttpGetProber } from './app-probers.js';

/**
 * Runs one original app probe for pilot-agent's `/app-health/...` endpoint, answering with the status
 * code pilot-agent's status server (pilot/cmd/pilot-agent/status/server.go) gives the kubelet: httpGet
 * passes the app's own status code through (the kubelet judges 2xx/3xx), a request that fails or times
 * out is 500; tcpSocket and grpc are 200 when the connection (and for grpc the health check, SERVING)
 * succeeds, 500 otherwise. Each probe is bounded by its `timeoutSeconds`.
 */

export interface ProbeResult {
  status: number;
  /** Why the probe failed (logged at debug and written as the body), or the app's redirect target. */
  detail?: string;
  location?: string;
}

/** Headers of the kubelet's request that are about its connection to us, not to the app. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'host',
  'content-length',
  'transfer-encoding',
  'upgrade',
]);

function probeHttp(
  p: HttpGetProber,
  host: string,
  incoming: IncomingHttpHeaders,
  timeoutMs: number,
): Promise<ProbeResult> {
  const headers: Record<string, string | string[]> = {};
  // pilot-agent forwards the kubelet's headers (User-Agent kube-probe/..., Accept) and adds the probe's.
  for (const [name, value] of Object.entries(incoming))
    if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = value;
  for (const { name, value } of p.headers) headers[name.toLowerCase()] = value;
  if (p.host !== undefined && headers['host'] === undefined) headers['host'] = p.host;
  return new Promise((resolve) => {
    const options: RequestOptions & HttpsRequestOptions = {
      host,
      port: p.port,
      path: p.path,
      method: 'GET',
      headers,
      timeout: timeoutMs,
      // The kubelet does not verify an HTTPS probe's certificate either.
      ...(p.scheme === 'HTTPS' ? { rejectUnauthorized: false } : {}),
      agent: false,
    };
    const onResponse = (res: IncomingMessage) => {
      res.resume();
      const status = res.statusCode ?? 500;
      const location = status >= 300 && status < 400 ? res.headers.location : undefined;
      resolve({ status, ...(location ? { location } : {}) });
    };
    const req = p.scheme === 'HTTPS' ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.once('close', () => clearTimeout(timer));
    req.once('error', (err) => resolve({ status: 500, detail: err.message }));
    req.end();
  });
}

function probeTcp(port: number, host: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ status: 200 });
    });
    socket.once('timeout', () => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)));
    socket.once('error', (err) => resolve({ status: 500, detail: err.message }));
  });
}

/** grpc.health.v1.HealthCheckRequest `{ service }`: field 1, a string. */
function healthRequest(service: string): Buffer {
  const bytes = Buffer.from(service, 'utf8');
  const length: number[] = [];
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return bytes.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...length]), bytes]);
}

/** grpc.health.v1.HealthCheckResponse's `status` (field 1, varint); SERVING is 1, absent is UNKNOWN (0). */
function servingStatus(message: Buffer): number {
  let status = 0;
  for (let i = 0; i + 1 < message.length;) {
    const tag = message[i++] as number;
    if (tag !== 0x08) break;
    status = message[i++] as number;
  }
  return status;
}

function probeGrpc(p: GrpcProber, host: string, timeoutMs: number): Promise<ProbeResult> {
  const target = host.includes(':') ? `[${host}]:${p.port}` : `${host}:${p.port}`;
  const client = new Client(target, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (service: string) => healthRequest(service),
      (buffer: Buffer) => buffer,
      p.service,
      new Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, response) => {
        client.close();
        if (err) return resolve({ status: 500, detail: `${grpcStatus[err.code]}: ${err.details}` });
        const serving = servingStatus(response ?? Buffer.alloc(0));
        resolve(
          serving === 1 ? { status: 200 } : { status: 500, detail: `health status ${serving}, not SERVING` },
        );
      },
    );
  });
}

/** Probes the app at `host` (the pod's IP, or localhost in pilot-agent's legacy mode). */
export function runAppProbe(p: AppProber, host: string, incoming: IncomingHttpHeaders): Promise<ProbeResult> {
  if (p.kind === 'httpGet') return probeHttp(p, host, incoming, p.timeoutMs);
  if (p.kind === 'tcpSocket') return probeTcp(p.port, host, p.timeoutMs);
  return probeGrpc(p, host, p.timeoutMs);
}
