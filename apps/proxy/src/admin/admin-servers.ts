import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { ClusterManager } from '../clusters/cluster-manager.js';
import type { LocalCallers } from '../listeners/local-callers.js';
import type { IstioMetrics, ServedCertificatesPem } from '../telemetry/index.js';
import { certificatesJson } from './certs.js';
import { clustersJson, clustersText, configDump, type ConfigDumpSources } from './config-dump.js';
import type { InboundConnectionLog } from './inbound-connections.js';
import type { UpstreamConnectionLog } from './upstream-connections.js';

/**
 * The proxy's HTTP endpoints, on Istio's ports: admin (15000 on 127.0.0.1 only, as Envoy's in an
 * Istio pod: `/config_dump`, `/clusters`, `/certs`, `/stats/prometheus`, `/ready`, `/control_plane`
 * (xDS sync state), `/upstream_connections` (ours: the last upstream connections, their TLS and
 * verified server identity), `/inbound_connections` (ours: who connected to the inbound listeners,
 * mTLS with the verified caller identity or plaintext), `/logging`, `/quitquitquit`), readiness (15021
 * `/healthz/ready`) and Prometheus (15090 `/stats/prometheus`) on the workload's address. In explicit
 * mode every local process shares that loopback, so the admin port also asks `LocalCallers` who may use it.
 */

export interface AdminState {
  /** Why the proxy is not ready yet, or undefined when it is (config synced and certificate issued). */
  notReadyReason(): string | undefined;
  dumpSources(): ConfigDumpSources;
  /** The workload certificate and trust bundle in force, for `/certs`. */
  certificate(): ServedCertificatesPem | undefined;
  /** Whether istiod is connected and what each xDS type last accepted or rejected. */
  controlPlane(): object;
  clusters: ClusterManager;
  /** The last upstream connections and what TLS each did, for `/upstream_connections`. */
  upstreamConnections: UpstreamConnectionLog;
  /** The last inbound connections and per-caller counts, for `/inbound_connections`. */
  inboundConnections: InboundConnectionLog;
  metrics: IstioMetrics;
  logLevel: { get(): string; set(level: string): boolean };
  quit(): void;
}

/** Envoy's admin address in an Istio pod: loopback, never the pod's (or workload's) own address. */
const ADMIN_HOST = '127.0.0.1';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function listenOn(
  handlers: Record<string, Handler>,
  host: string,
  port: number,
  callers?: LocalCallers,
): Promise<Server> {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const verdict = await callers?.check(req.socket);
    if (verdict?.allowed === false) return send(res, 403, `mesh-proxy admin: ${verdict.reason}\n`);
    const url = new URL(req.url ?? '/', 'http://admin');
    const handler = handlers[url.pathname];
    if (!handler) {
      send(res, 404, `unknown path ${url.pathname}; known: ${Object.keys(handlers).join(' ')}\n`);
      return;
    }
    await handler(req, res, url);
  };
  const server = createServer((req, res) => {
    serve(req, res).catch((err: Error) => send(res, 500, `${err.message}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}

export function readinessHandler(state: AdminState): Handler {
  return (_req, res) => {
    const reason = state.notReadyReason();
    send(res, reason ? 503 : 200, reason ? `${reason}\n` : 'LIVE\n');
  };
}

export function prometheusHandler(metrics: IstioMetrics): Handler {
  return async (_req, res) => send(res, 200, await metrics.metricsText(), metrics.contentType);
}

export function adminHandlers(state: AdminState): Record<string, Handler> {
  return {
    '/ready': readinessHandler(state),
    '/control_plane': (_req, res) =>
      send(res, 200, `${JSON.stringify(state.controlPlane(), null, 2)}\n`, 'application/json'),
    '/stats/prometheus': prometheusHandler(state.metrics),
    '/config_dump': (_req, res, url) =>
      send(
        res,
        200,
        `${JSON.stringify(configDump(state.dumpSources(), url.searchParams.has('include_eds')), null, 2)}\n`,
        'application/json',
      ),
    '/certs': (_req, res) =>
      send(
        res,
        200,
        `${JSON.stringify(certificatesJson(state.certificate(), new Date()), null, 2)}\n`,
        'application/json',
      ),
    '/clusters': (_req, res, url) =>
      url.searchParams.get('format') === 'json'
        ? send(res, 200, `${JSON.stringify(clustersJson(state.clusters), null, 2)}\n`, 'application/json')
        : send(res, 200, clustersText(state.clusters)),
    '/upstream_connections': (_req, res) =>
      send(
        res,
        200,
        `${JSON.stringify({ connections: state.upstreamConnections.list() }, null, 2)}\n`,
        'application/json',
      ),
    '/inbound_connections': (_req, res) =>
      send(res, 200, `${JSON.stringify(state.inboundConnections.list(), null, 2)}\n`, 'application/json'),
    '/logging': (req, res, url) => {
      const level = url.searchParams.get('level');
      if (req.method === 'POST' && level) {
        if (!state.logLevel.set(level)) return send(res, 400, `unknown level ${level}\n`);
      }
      send(res, 200, `active loggers:\n  mesh-proxy: ${state.logLevel.get()}\n`);
    },
    '/quitquitquit': (req, res) => {
      if (req.method !== 'POST') return send(res, 405, 'POST only\n');
      send(res, 200, 'OK\n');
      state.quit();
    },
  };
}

export interface AdminListen {
  adminPort: number;
  /** Who may use the admin port besides being on loopback (explicit mode). */
  adminCallers?: LocalCallers;
  statusHost: string;
  statusPort: number;
  statsPort: number;
}

/** The admin server first (its bound port is the one `--admin-port 0` asked the kernel for). */
export async function startAdminServers(state: AdminState, listen: AdminListen): Promise<Server[]> {
  return Promise.all([
    listenOn(adminHandlers(state), ADMIN_HOST, listen.adminPort, listen.adminCallers),
    listenOn({ '/healthz/ready': readinessHandler(state) }, listen.statusHost, listen.statusPort),
    listenOn({ '/stats/prometheus': prometheusHandler(state.metrics) }, listen.statusHost, listen.statsPort),
  ]);
}
