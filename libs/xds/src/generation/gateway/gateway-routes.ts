import { domainName, type Obj } from '../sidecar/routes/envoy-values.js';
import { virtualServiceRoutes } from '../sidecar/routes/http-route.js';
import { matchingHosts, serverHostNames, virtualServicesBoundTo } from './gateway-binding.js';
import type { GatewayContext } from './gateway-context.js';
import type { PortServer } from './gateway-servers.js';

/**
 * Gateway RDS, as istiod builds it (`pilot/pkg/networking/core/gateway.go` `buildGatewayHTTPRouteConfig`):
 * per route configuration, a virtual host `<host>:<port>` for each host of a bound VirtualService that a
 * server exposes, the routes of every VirtualService for that host in creation order, `require_tls: ALL`
 * on servers with `httpsRedirect`; no virtual host at all gives `blackhole:<port>` answering 404.
 */

const MAX_DIRECT_RESPONSE_BODY_BYTES = 1024 * 1024;

/** Istio's `buildGatewayVirtualHostDomains`: the host, and the host with any port (not for `*`). */
function gatewayDomains(host: string): string[] {
  return host === '*' ? ['*'] : [host, `${host}:*`];
}

function virtualHost(host: string, port: number): Obj {
  return {
    name: domainName(host, port),
    domains: gatewayDomains(host),
    routes: [] as Obj[],
    include_request_attempt_count: true,
  };
}

function blackholeVirtualHost(port: number): Obj {
  return {
    name: domainName('blackhole', port),
    domains: ['*'],
    routes: [{ name: 'default', match: { prefix: '/' }, direct_response: { status: 404 } }],
    include_request_attempt_count: true,
  };
}

/** The virtual hosts one server contributes, merged into `byHost` (one per host across servers). */
function addServerHosts(
  ctx: GatewayContext,
  entry: PortServer,
  port: number,
  byHost: Map<string, Obj>,
): void {
  const { gateway, server } = entry;
  const redirect = server.tls?.httpsRedirect === true;
  const hostOf = (host: string): Obj => {
    let vh = byHost.get(host);
    if (!vh) {
      vh = virtualHost(host, port);
      byHost.set(host, vh);
    }
    if (redirect) vh['require_tls'] = 'ALL';
    return vh;
  };
  for (const { namespace, config: vs } of virtualServicesBoundTo(
    ctx.sidecar.snapshot,
    gateway,
    ctx.sidecar.proxy.namespace,
  )) {
    const hosts = matchingHosts(server, gateway.namespace, vs, namespace, ctx.sidecar.snapshot.domainSuffix);
    if (hosts.length === 0) continue;
    const scope = {
      snapshot: ctx.sidecar.snapshot,
      namespace,
      listenerPort: port,
      proxylessGrpc: false,
      gateway: gateway.key,
    };
    const routes = virtualServiceRoutes(vs, scope, ctx.sidecar.proxy);
    if (routes.length === 0) continue;
    for (const host of hosts) (hostOf(host)['routes'] as Obj[]).push(...routes);
  }
  // An HTTPS redirect needs no VirtualService: every host of the server redirects.
  if (redirect) for (const host of serverHostNames(server, gateway.namespace)) hostOf(host);
}

/** One route configuration from the servers that share its name. */
export function gatewayRouteConfiguration(
  ctx: GatewayContext,
  name: string,
  servers: readonly PortServer[],
): Obj {
  const port = servers[0]?.server.port.number ?? 0;
  const byHost = new Map<string, Obj>();
  for (const entry of servers) addServerHosts(ctx, entry, port, byHost);
  const virtualHosts = [...byHost.values()]
    .filter((vh) => (vh['routes'] as Obj[]).length > 0 || vh['require_tls'] !== undefined)
    .map((vh) => ((vh['routes'] as Obj[]).length > 0 ? vh : withoutRoutes(vh)))
    .sort((a, b) => (String(a['name']) < String(b['name']) ? -1 : 1));
  return {
    name,
    virtual_hosts: virtualHosts.length > 0 ? virtualHosts : [blackholeVirtualHost(port)],
    validate_clusters: { value: false },
    max_direct_response_body_size_bytes: { value: MAX_DIRECT_RESPONSE_BODY_BYTES },
  };
}

function withoutRoutes(vh: Obj): Obj {
  const { routes: _routes, ...rest } = vh;
  return rest;
}

/** Every route configuration of the gateway by name, servers in port order. */
export function gatewayRouteServers(ctx: GatewayContext): Map<string, PortServer[]> {
  const byName = new Map<string, PortServer[]>();
  for (const { servers } of ctx.ports)
    for (const entry of servers)
      if (entry.routeName) byName.set(entry.routeName, [...(byName.get(entry.routeName) ?? []), entry]);
  return byName;
}

/** Gateway RDS: every route configuration, or those named (an unknown name gets an empty one, as istiod answers). */
export function generateGatewayRoutes(ctx: GatewayContext, names?: ReadonlySet<string>): object[] {
  const byName = gatewayRouteServers(ctx);
  const wanted = names ? [...names].sort() : [...byName.keys()];
  return wanted.map((name) => {
    const servers = byName.get(name);
    return servers
      ? gatewayRouteConfiguration(ctx, name, servers)
      : { name, virtual_hosts: [], validate_clusters: { value: false } };
  });
}
