import type { Server } from '@mesh/policy';

import type { BoundGateway } from './gateway-binding.js';

/**
 * The servers of a gateway proxy's Gateways, grouped by port as Istio merges them
 * (`pilot/pkg/model/gateway.go` `mergeGateways`): one listener per port the gateway listens on (a
 * server's port translated to its Service's target port, see `PortResolver`), one HTTP route
 * configuration `http.<listen port>` for every plain-HTTP server on it, one
 * `https.<server port>.<portName>.<gateway>.<namespace>` per terminated HTTPS server. A server that
 * cannot be built is left out with a problem naming its field.
 */

/**
 * Istio's `resolvePorts` for Gateways selecting by labels: a server port that is a port of a Service
 * selecting the gateway workload is listened on at that port's target port (the first such Service);
 * any other is listened on as written.
 */
export type PortResolver = (serverPort: number) => number;

const AS_WRITTEN: PortResolver = (port) => port;

/**
 * How a server is served: through an HCM (plain or terminated), or as TCP (passthrough by VirtualService
 * SNI, passthrough by the mesh's mTLS SNI for AUTO_PASSTHROUGH, terminated, plain).
 */
export type ServerKind =
  'http' | 'https' | 'tls-passthrough' | 'tls-auto-passthrough' | 'tls-terminated' | 'tcp';

export interface PortServer {
  gateway: BoundGateway;
  server: Server;
  /** Index in the Gateway's `spec.servers` (for field paths). */
  index: number;
  kind: ServerKind;
  /** The RDS name of an HTTP or HTTPS server. */
  routeName?: string;
}

export interface GatewayPort {
  /** The port the gateway listens on (servers keep their own `port.number` for routes and matches). */
  port: number;
  servers: PortServer[];
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);
const TCP_PROTOCOLS = new Set(['TCP', 'MONGO', 'REDIS', 'MYSQL']);

/** A problem with one field of a Gateway, as `Gateway <ns>/<name>: <path>: <reason>`. */
export function gatewayProblem(gateway: BoundGateway, path: string, reason: string): string {
  return `Gateway ${gateway.key}: ${path}: ${reason}`;
}

/** The kind of a server, or why it cannot be served. */
function classify(server: Server): ServerKind | { path: string; reason: string } {
  const protocol = server.port.protocol.toUpperCase();
  // An unset mode is PASSTHROUGH, the enum's zero value, as in Istio.
  const mode = server.tls?.mode ?? 'PASSTHROUGH';
  if (HTTP_PROTOCOLS.has(protocol)) return 'http';
  if (TCP_PROTOCOLS.has(protocol)) return 'tcp';
  if (protocol !== 'HTTPS' && protocol !== 'TLS')
    return { path: 'port.protocol', reason: `${server.port.protocol} is not a gateway server protocol` };
  if (!server.tls) return { path: 'tls', reason: `required for protocol ${protocol}` };
  if (mode === 'AUTO_PASSTHROUGH') return 'tls-auto-passthrough';
  if (mode === 'PASSTHROUGH') return 'tls-passthrough';
  if (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') {
    if (server.tls.credentialNames || server.tls.tlsCertificates)
      return {
        path: 'tls',
        reason: 'credentialNames and tlsCertificates are not supported: use credentialName',
      };
    if (!server.tls.credentialName)
      return {
        path: 'tls.credentialName',
        reason: `required for mode ${mode} (certificate files on the gateway are not supported)`,
      };
  }
  return protocol === 'HTTPS' ? 'https' : 'tls-terminated';
}

/** Servers on one port must share a family: plain HTTP, TLS by SNI (HTTPS and TLS), or plain TCP. */
function family(kind: ServerKind): string {
  return kind === 'http' ? 'http' : kind === 'tcp' ? 'tcp' : 'tls';
}

function routeNameOf(
  kind: ServerKind,
  server: Server,
  gateway: BoundGateway,
  listenPort: number,
): string | undefined {
  if (kind === 'http') return `http.${listenPort}`;
  if (kind === 'https')
    return `https.${server.port.number}.${server.port.name}.${gateway.name}.${gateway.namespace}`;
  return undefined;
}

/** The gateway's ports in ascending order, each with the servers it serves, and the problems found. */
export function gatewayPorts(
  gateways: readonly BoundGateway[],
  resolve: PortResolver = AS_WRITTEN,
): {
  ports: GatewayPort[];
  problems: string[];
} {
  const byPort = new Map<number, PortServer[]>();
  const problems: string[] = [];
  for (const gateway of gateways) {
    (gateway.gateway.spec.servers ?? []).forEach((server, index) => {
      const at = `spec.servers[${index}]`;
      const kind = classify(server);
      if (typeof kind === 'object') {
        problems.push(gatewayProblem(gateway, `${at}.${kind.path}`, kind.reason));
        return;
      }
      const port = resolve(server.port.number);
      const servers = byPort.get(port) ?? [];
      const first = servers[0];
      if (first && family(first.kind) !== family(kind)) {
        problems.push(
          gatewayProblem(
            gateway,
            `${at}.port`,
            `port ${port} already serves ${first.server.port.protocol} (Gateway ${first.gateway.key}); ${server.port.protocol} cannot share it`,
          ),
        );
        return;
      }
      const routeName = routeNameOf(kind, server, gateway, port);
      servers.push({ gateway, server, index, kind, ...(routeName ? { routeName } : {}) });
      byPort.set(port, servers);
    });
  }
  const ports = [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, servers]) => ({ port, servers }));
  return { ports, problems };
}
