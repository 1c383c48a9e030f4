import { Pool } from 'undici';

import type { Send } from './load-generator.js';
import { echoClient, type EchoClient } from './origin.js';

/**
 * The clients of the three modes, the same code for each: what changes is only where they connect.
 * HTTP/1.1 is an undici pool of N keep-alive connections (POST of a 1 KB body, 1 KB echoed back);
 * gRPC is N channels, each on its own HTTP/2 connection (unary call, 1 KB message each way).
 */

export type Mode = 'direct' | 'one proxy' | 'two proxies';
export type Protocol = 'HTTP/1.1' | 'gRPC';
export const MODES: readonly Mode[] = ['direct', 'one proxy', 'two proxies'];
export const PROTOCOLS: readonly Protocol[] = ['HTTP/1.1', 'gRPC'];

export const PAYLOAD_BYTES = 1024;
/**
 * HTTP/1.1 per-request limit: a lost request fails after this instead of hanging. gRPC calls carry no
 * deadline: a grpc-js deadline costs the direct path 10–20% of its throughput at 16 connections (half on
 * one); the load generator's own drain limits bound every phase instead.
 */
const REQUEST_TIMEOUT_MS = 10_000;

/** Where each mode connects. */
export interface Topology {
  origin: { host: string; httpPort: number; grpcPort: number };
  /** The server sidecar's address: its inbound app ports are `httpPort`/`grpcPort` below. */
  serverSidecar: string;
  /** The client sidecar's forward proxy, `http://<address>:15001`. */
  clientProxyUrl: string;
  /** The service's name and ports as the app addresses it through its sidecar. */
  service: { host: string; httpPort: number; grpcPort: number };
}

export interface Target {
  send: Send;
  close(): Promise<void>;
}

function httpTarget(origin: string, path: string, host: string, connections: number): Target {
  const pool = new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 120_000,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  const body = Buffer.alloc(PAYLOAD_BYTES, 'x');
  const headers = { host, 'content-type': 'application/octet-stream' };
  return {
    send: (_connection, done) => {
      pool.request({ method: 'POST', path, headers, body }).then(
        async (res) => {
          const reply = await res.body.arrayBuffer();
          done(res.statusCode === 200 && reply.byteLength === PAYLOAD_BYTES);
        },
        () => done(false),
      );
    },
    close: () => pool.destroy(),
  };
}

function grpcTarget(target: string, connections: number, proxyUrl?: string): Target {
  const clients: EchoClient[] = [];
  // grpc-js reads grpc_proxy when a channel is created; without a proxy, no environment proxy either.
  if (proxyUrl) process.env['grpc_proxy'] = proxyUrl;
  try {
    for (let i = 0; i < connections; i++)
      clients.push(echoClient(target, proxyUrl ? {} : { 'grpc.enable_http_proxy': 0 }));
  } finally {
    if (proxyUrl) delete process.env['grpc_proxy'];
  }
  const message = Buffer.alloc(PAYLOAD_BYTES, 'x');
  return {
    send: (connection, done) => {
      const client = clients[connection % clients.length] as EchoClient;
      client.Echo(message, (err, reply) => done(!err && reply?.length === PAYLOAD_BYTES));
    },
    close: async () => {
      for (const client of clients) client.close();
    },
  };
}

/** The client for one protocol and mode, with `connections` connections. */
export function createTarget(protocol: Protocol, mode: Mode, t: Topology, connections: number): Target {
  const { origin, service } = t;
  if (protocol === 'HTTP/1.1') {
    switch (mode) {
      case 'direct':
        return httpTarget(`http://${origin.host}:${origin.httpPort}`, '/echo', 'origin', connections);
      case 'one proxy':
        return httpTarget(`http://${t.serverSidecar}:${service.httpPort}`, '/echo', 'web', connections);
      case 'two proxies': {
        // Absolute-form requests to the forward proxy, as `http_proxy` makes applications send them.
        const authority = `${service.host}:${service.httpPort}`;
        return httpTarget(t.clientProxyUrl, `http://${authority}/echo`, authority, connections);
      }
    }
  }
  switch (mode) {
    case 'direct':
      return grpcTarget(`${origin.host}:${origin.grpcPort}`, connections);
    case 'one proxy':
      return grpcTarget(`${t.serverSidecar}:${service.grpcPort}`, connections);
    case 'two proxies':
      return grpcTarget(`${service.host}:${service.grpcPort}`, connections, t.clientProxyUrl);
  }
}
