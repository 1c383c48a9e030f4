import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Registry } from 'prom-client';

export interface MonitoringServer {
  port: number;
  /** Flip readiness; `/ready` answers 503 until then. */
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

/** Answers a debug path, or undefined when the path is not one it knows. */
export type DebugHandler = (
  path: string,
  query: URLSearchParams,
) => Promise<{ status: number; body: unknown } | undefined>;

/** A refusal (status and message) for a debug request, or undefined to serve it. */
export type DebugAuthorizer = (
  req: IncomingMessage,
) => Promise<{ status: number; message: string } | undefined>;

/**
 * istiod's monitoring port (15014): `/ready` for probes, `/metrics` in Prometheus text format, and the
 * `/debug/*` pages for whoever `authorizeDebug` lets in.
 */
export async function startMonitoringServer(options: {
  host: string;
  port: number;
  registry: Registry;
  debug?: DebugHandler;
  /** Decides who may read `/debug/*`; a refusal is answered with its status. */
  authorizeDebug?: DebugAuthorizer;
  /** Degradations `/ready` names without failing (a missing Kubernetes permission, by name). */
  readinessNotes?: () => string[];
}): Promise<MonitoringServer> {
  let ready = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/ready') {
      const notes = options.readinessNotes?.() ?? [];
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end([ready ? 'ready' : 'not ready', ...notes].join('\n') + '\n');
    } else if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    } else if (path.startsWith('/debug/') && options.debug) {
      void serveDebug(req, res, url, options.debug, options.authorizeDebug);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    setReady: (value) => {
      ready = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function serveDebug(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  debug: DebugHandler,
  authorize: DebugAuthorizer | undefined,
): Promise<void> {
  try {
    const refusal = await authorize?.(req);
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'text/plain' }).end(`${refusal.message}\n`);
      return;
    }
    const answer = await debug(url.pathname, url.searchParams);
    if (!answer) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    else
      res
        .writeHead(answer.status, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(answer.body, null, 2)}\n`);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
  }
}
