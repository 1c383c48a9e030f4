import type { VirtualService } from '@mesh/policy';
import type { MeshService } from '@mesh/registry';

import { outboundClusterName } from '../../resource-names.js';
import { explicitEgressListeners } from '../listeners/sidecar-listeners-explicit.js';
import type { SidecarContext } from '../sidecar-context.js';
import { consistentHashForService, hashPolicy } from './consistent-hash.js';
import { dedupeDomains, virtualHostDomains } from './domains.js';
import { domainName, NO_TIMEOUT, type Obj } from './envoy-values.js';
import { virtualServiceRoutes } from './http-route.js';
import { retryPolicy } from './retry-policy.js';
import { MESH_GATEWAY } from './route-match.js';

/**
 * Outbound RDS for a sidecar, as istiod builds it (`pilot/pkg/networking/core/httproute.go`): one
 * RouteConfiguration per HTTP service port, named by the port, with a virtual host per service on that
 * port and a catch-all last. Pure: the same context always gives the same config.
 */

/** Protocols whose ports get HTTP routes (declared ones; sniffed ports are not generated yet). */
const HTTP_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

/** Istio raises Envoy's 4 KiB default to the 1 MiB its validation allows for direct response bodies. */
const MAX_DIRECT_RESPONSE_BODY_BYTES = 1024 * 1024;

const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

function servesHttpOn(service: MeshService, port: number): boolean {
  return service.ports.some((p) => p.port === port && HTTP_PROTOCOLS.has(p.protocol));
}

/**
 * The ports that get an outbound route configuration: every HTTP port of a service the proxy sees, and
 * the port of every HTTP Sidecar egress listener with its own listener (its HCM asks for `"<port>"` even
 * when the services it imports declare that port with another protocol).
 */
export function sidecarHttpRoutePorts(ctx: SidecarContext): number[] {
  const ports = new Set<number>();
  for (const service of ctx.outboundServices)
    for (const port of service.ports) if (HTTP_PROTOCOLS.has(port.protocol)) ports.add(port.port);
  for (const egress of explicitEgressListeners(ctx)) if (egress.http) ports.add(egress.port);
  return [...ports].sort((a, b) => a - b);
}

/** The services HTTP Sidecar egress listeners on `port` import, whatever protocol they declare for it. */
function explicitHttpImports(ctx: SidecarContext, port: number): Set<string> {
  const hosts = new Set<string>();
  for (const egress of explicitEgressListeners(ctx))
    if (egress.http && egress.port === port) for (const s of egress.services) hosts.add(s.hostname);
  return hosts;
}

/** A VirtualService applies to sidecars when it names no gateways or names `mesh`. */
function appliesToSidecars(vs: VirtualService): boolean {
  const gateways = vs.spec.gateways ?? [];
  return gateways.length === 0 || gateways.includes(MESH_GATEWAY);
}

/**
 * The routes of the first (oldest) VirtualService for the host that yields any route on this port for
 * this proxy; sidecars do not merge VirtualServices of one host. Undefined: the service's default.
 */
function virtualServiceRoutesFor(ctx: SidecarContext, hostname: string, port: number): Obj[] | undefined {
  for (const vs of ctx.snapshot.virtualServices(hostname)) {
    if (!appliesToSidecars(vs)) continue;
    const scope = {
      snapshot: ctx.snapshot,
      namespace: vs.metadata.namespace ?? 'default',
      listenerPort: port,
      proxylessGrpc: ctx.proxy.proxylessGrpc === true,
    };
    const routes = virtualServiceRoutes(vs, scope, ctx.proxy);
    if (routes.length > 0) return routes;
  }
  return undefined;
}

/**
 * The routes of a service on a port (Istio's `VirtualHostWrapper`): those of its VirtualService, else
 * the default route. `fromVs` tells them apart.
 */
function serviceRoutes(
  ctx: SidecarContext,
  hostname: string,
  port: number,
): { routes: Obj[]; fromVs: boolean } {
  const routes = virtualServiceRoutesFor(ctx, hostname, port);
  return routes ? { routes, fromVs: true } : { routes: [defaultRoute(ctx, hostname, port)], fromVs: false };
}

function virtualHost(service: MeshService, port: number, domains: string[], routes: Obj[]): Obj {
  return {
    name: domainName(service.hostname, port),
    domains,
    routes,
    include_request_attempt_count: true,
  };
}

/** Istio's `BuildDefaultHTTPOutboundRoute`: everything to the service's own cluster, default retries. */
function defaultRoute(ctx: SidecarContext, hostname: string, port: number): Obj {
  const route: Obj = {
    cluster: outboundClusterName(port, '', hostname),
    timeout: NO_TIMEOUT,
    retry_policy: retryPolicy(undefined, false),
  };
  const hash = hashPolicy(consistentHashForService(hostname, port, ctx.snapshot));
  if (hash) route['hash_policy'] = [hash];
  route['max_grpc_timeout'] = NO_TIMEOUT;
  return {
    name: 'default',
    match: { prefix: '/' },
    route,
    decorator: { operation: `${hostname}:${port}/*` },
  };
}

/** `allow_any` to PassthroughCluster (ALLOW_ANY), else `block_all` answering 502 (REGISTRY_ONLY). */
function catchAllVirtualHost(ctx: SidecarContext): Obj {
  const name = ctx.mesh.outboundTrafficPolicy === 'ALLOW_ANY' ? 'allow_any' : 'block_all';
  const action =
    name === 'allow_any'
      ? { route: { cluster: PASSTHROUGH_CLUSTER, timeout: NO_TIMEOUT, max_grpc_timeout: NO_TIMEOUT } }
      : { direct_response: { status: 502 } };
  return {
    name,
    domains: ['*'],
    routes: [{ name, match: { prefix: '/' }, ...action }],
    include_request_attempt_count: true,
  };
}

/** The outbound route configuration for one port (`"9080"`). */
export function sidecarRouteConfiguration(ctx: SidecarContext, port: number): Obj {
  const explicit = explicitHttpImports(ctx, port);
  const services = ctx.outboundServices.filter((s) => servesHttpOn(s, port) || explicit.has(s.hostname));
  const entries = services.map((service) => ({ service, ...serviceRoutes(ctx, service.hostname, port) }));
  const knownFqdns = new Set(services.flatMap((s) => [s.hostname, domainName(s.hostname, port)]));
  const taken = new Set<string>();
  const virtualHosts: Obj[] = [];
  // Istio builds VirtualService hosts first, so they keep a domain two hosts would share.
  for (const { service, routes } of [
    ...entries.filter((e) => e.fromVs),
    ...entries.filter((e) => !e.fromVs),
  ]) {
    const all = virtualHostDomains(service, port, ctx.proxy.namespace, ctx.snapshot.domainSuffix);
    const domains = dedupeDomains(all, taken, knownFqdns);
    if (domains.length > 0) virtualHosts.push(virtualHost(service, port, domains, routes));
  }
  virtualHosts.sort((a, b) => (String(a['name']) < String(b['name']) ? -1 : 1));
  virtualHosts.push(catchAllVirtualHost(ctx));
  return {
    name: String(port),
    virtual_hosts: virtualHosts,
    validate_clusters: { value: false },
    max_direct_response_body_size_bytes: { value: MAX_DIRECT_RESPONSE_BODY_BYTES },
  };
}

/**
 * The virtual host of one service port for a proxyless gRPC client (route configuration
 * `<fqdn>:<port>`): the routes and domains the sidecar builder gives that service on that port. Istio's
 * grpcgen sends every virtual host of the port under each such name; the client only ever picks the one
 * its target authority names, so the others are left out (and a change to one service no longer
 * rewrites every route configuration of its port).
 */
export function serviceVirtualHost(ctx: SidecarContext, service: MeshService, port: number): Obj {
  const { routes } = serviceRoutes(ctx, service.hostname, port);
  const all = virtualHostDomains(service, port, ctx.proxy.namespace, ctx.snapshot.domainSuffix);
  const own = new Set([service.hostname, domainName(service.hostname, port)]);
  return virtualHost(service, port, dedupeDomains(all, new Set(), own), routes);
}

function isPortName(name: string): boolean {
  return /^[1-9]\d{0,4}$/.test(name) && Number(name) <= 65535;
}

/**
 * Sidecar RDS: every HTTP port's route configuration, or those named. A named port without HTTP
 * services still gets its catch-all; a name that is not a port gets an empty configuration, as istiod
 * answers, so an Envoy waiting on it does not stall.
 */
export function generateSidecarRoutes(ctx: SidecarContext, names?: ReadonlySet<string>): object[] {
  const wanted = names
    ? [...names].sort((a, b) => (isPortName(a) && isPortName(b) ? Number(a) - Number(b) : a < b ? -1 : 1))
    : sidecarHttpRoutePorts(ctx).map(String);
  return wanted.map((name) =>
    isPortName(name)
      ? sidecarRouteConfiguration(ctx, Number(name))
      : { name, virtual_hosts: [], validate_clusters: { value: false } },
  );
}
