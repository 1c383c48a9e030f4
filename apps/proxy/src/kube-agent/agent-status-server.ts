import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { Logger } from 'pino';

import { UsageError } from '../options.js';
import { runAppProbe } from './app-probe.js';
import type { AppProber } from './app-probers.js';

/**
 * pilot-agent's status port (ProxyConfig `statusPort`, 15020), which an injected pod's rewritten app
 * probes and its `prometheus.io/port` annotation point at: `/app-health/<container>/livez|readyz|startupz`
 * runs the app's original probe (`ISTIO_KUBE_APP_PROBERS`), `/healthz/ready` is the proxy's readiness,
 * and `/stats/prometheus` is the proxy's metrics followed by the app's when `ISTIO_PROMETHEUS_ANNOTATIONS`
 * says the app is scraped (Istio's metrics merging), and `POST /drain` (the native sidecar's preStop
 * `pilot-agent request --debug-port=15020 POST drain`) starts the proxy's graceful drain. As pilot-agent's,
 * `/drain` is an admin endpoint: only a caller on the pod's loopback may use it, never one from the
 * network the probes come from. Requests are small and bounded in time: GET (POST for `/drain`), no body,
 * headers within 16 KiB and 10 s.
 */

export interface AppScrape {
  port: number;
  path: string;
}

export interface AgentStatusConfig {
  host: string;
  port: number;
  probers: ReadonlyMap<string, AppProber>;
  /** Where the app is probed and scraped: the pod's IP (INSTANCE_IP), or 127.0.0.1 in legacy mode. */
  appHost: string;
  appScrape?: AppScrape;
}

export interface AgentStatusSources {
  notReadyReason(): string | undefined;
  metricsText(): Promise<string>;
  /** Starts the drain the proxy runs on SIGTERM; answers at once (the drain goes on behind). */
  drain(): void;
}

const MAX_HEADER_BYTES = 16 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;
/** The longest a scrape of the app may take, and the most of its text merged. */
const APP_SCRAPE_TIMEOUT_MS = 10_000;
const APP_SCRAPE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * `ISTIO_PROMETHEUS_ANNOTATIONS`: the app's own `prometheus.io/*` annotations the injector replaced
 * (`{"scrape","path","port"}`, each possibly empty). As pilot-agent: the app is scraped unless `scrape`
 * is "false", at port 80 and path /metrics unless given; the agent's own port is refused (a pod
 * injected twice would scrape itself forever).
 */
export function parsePrometheusAnnotations(
  text: string | undefined,
  statusPort: number,
): AppScrape | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: { scrape?: unknown; path?: unknown; port?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (err) {
    throw new UsageError(`ISTIO_PROMETHEUS_ANNOTATIONS: not JSON: ${(err as Error).message}`);
  }
  if (parsed.scrape === 'false') return undefined;
  const port = parsed.port === undefined || parsed.port === '' ? 80 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(
      `ISTIO_PROMETHEUS_ANNOTATIONS: port: ${JSON.stringify(parsed.port)} is not a port number`,
    );
  if (port === statusPort)
    throw new UsageError(
      `ISTIO_PROMETHEUS_ANNOTATIONS: port: ${port} is the agent's own status port, which would scrape ` +
        `itself; the pod must not have prometheus.io/port=${port}, or it was injected twice`,
    );
  const path = typeof parsed.path === 'string' && parsed.path !== '' ? parsed.path : '/metrics';
  return { port, path: path.startsWith('/') ? path : `/${path}` };
}

/** pilot-agent's `isRequestFromLocalhost`: the caller's address is a loopback one (IPv4, IPv6, mapped). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function scrapeApp(host: string, scrape: AppScrape): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(
      { host, port: scrape.port, path: scrape.path, timeout: APP_SCRAPE_TIMEOUT_MS, agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`the app answered ${res.statusCode}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > APP_SCRAPE_MAX_BYTES) req.destroy(new Error(`more than ${APP_SCRAPE_MAX_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${APP_SCRAPE_TIMEOUT_MS} ms`)),
      APP_SCRAPE_TIMEOUT_MS,
    );
    req.once('close', () => clearTimeout(timer));
    req.once('error', reject);
  });
}

export function startAgentStatusServer(
  config: AgentStatusConfig,
  sources: AgentStatusSources,
  logger: Logger,
): Promise<Server> {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://status').pathname === '/drain') {
      if (!isLoopbackAddress(req.socket.remoteAddress))
        return send(res, 403, 'only requests from localhost are allowed\n');
      if (req.method !== 'POST') return send(res, 405, 'POST only\n', { allow: 'POST' });
      logger.info({ caller: req.socket.remoteAddress }, 'drain requested on the status port');
      sources.drain();
      return send(res, 200, 'OK\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'GET only\n', { allow: 'GET, HEAD' });
    const path = new URL(req.url ?? '/', 'http://status').pathname;
    if (path === '/healthz/ready') {
      const reason = sources.notReadyReason();
      return send(res, reason ? 503 : 200, reason ? `${reason}\n` : '');
    }
    if (path === '/stats/prometheus') {
      let text = await sources.metricsText();
      if (config.appScrape) {
        // As pilot-agent: the app's failure is logged, the proxy's metrics are still served.
        try {
          text = `${text.endsWith('\n') ? text : `${text}\n`}${await scrapeApp(config.appHost, config.appScrape)}`;
        } catch (err) {
          logger.warn(
            { error: (err as Error).message, app: config.appScrape },
            'cannot scrape the app metrics',
          );
        }
      }
      return send(res, 200, text, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    }
    if (path.startsWith('/app-health/')) {
      const prober = config.probers.get(path);
      if (!prober) return send(res, 404, `app prober config does not exist for ${path}\n`);
      const result = await runAppProbe(prober, config.appHost, req.headers);
      if (result.detail) logger.debug({ path, detail: result.detail }, 'app probe failed');
      return send(
        res,
        result.status,
        result.detail ? `${result.detail}\n` : '',
        result.location ? { location: result.location } : {},
      );
    }
    send(res, 404, `unknown path ${path}; known: /healthz/ready /stats/prometheus /app-health/... /drain\n`);
  };
  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: HEADERS_TIMEOUT_MS * 2,
    },
    (req, res) => {
      serve(req, res).catch((err: Error) => send(res, 500, `${err.message}\n`));
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.host, port: config.port }, () => resolve(server));
  });
}
