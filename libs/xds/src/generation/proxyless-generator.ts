import type { MeshService, MeshServicePort } from '@mesh/registry';

import { filterOf, KNOWN_FILTERS } from '../envoy/known-filters.js';
import { TypeUrl } from '../type-urls.js';
import { edsCluster, loadAssignment, outboundClusterNames, subsetsOf } from './clusters-and-endpoints.js';
import { hostPortName, parseHostPort, parseOutboundClusterName } from './resource-names.js';
import { serviceVirtualHost } from './sidecar/routes/sidecar-routes.js';
import type { SidecarContext } from './sidecar/sidecar-context.js';

type Obj = Record<string, unknown>;

/** What a client asked for: names of one type, or everything (wildcard). */
export interface GenerationRequest {
  typeUrl: string;
  wildcard: boolean;
  names: ReadonlySet<string>;
}

const ADS = { ads: {}, resource_api_version: 'V3' };

/**
 * Envoy resources for a proxyless gRPC client, as Istio's grpcgen serves them: an API listener per
 * `<fqdn>:<port>` (what `xds:///<fqdn>:<port>` asks for) whose RDS route configuration of the same name
 * comes from the sidecar route builder, EDS clusters `outbound|port|subset|fqdn` and their endpoints.
 * The client sees what a sidecar in its place would (`ctx`): services exported to its namespace and
 * imported by its Sidecar resource, VirtualServices bound to `mesh` and exported to it.
 */
export function generateProxyless(ctx: SidecarContext, request: GenerationRequest): Obj[] {
  const names = request.wildcard ? undefined : request.names;
  switch (request.typeUrl) {
    case TypeUrl.Listener:
      return servicePorts(ctx, names).map(([service, port]) =>
        apiListener(hostPortName(service.hostname, port.port)),
      );
    case TypeUrl.RouteConfiguration:
      // Only a name and virtual hosts, as Istio's grpcgen: no catch-all (there is no passthrough for a
      // gRPC client) and nothing else a client would read.
      return servicePorts(ctx, names).map(([service, port]) => ({
        name: hostPortName(service.hostname, port.port),
        virtual_hosts: [serviceVirtualHost(ctx, service, port.port)],
      }));
    case TypeUrl.Cluster:
      return clusters(ctx, names).map(({ service, port, subset }) =>
        edsCluster(ctx.snapshot, service, port, subset),
      );
    case TypeUrl.ClusterLoadAssignment:
      return clusters(ctx, names).map(({ service, port, subset }) =>
        loadAssignment(ctx.snapshot, service, port, subset, ctx.mesh.rootNamespace),
      );
    default:
      return [];
  }
}

/** Per context: the services its client may call, by host (ports as its Sidecar resource narrows them). */
const visibleByContext = new WeakMap<SidecarContext, ReadonlyMap<string, MeshService>>();

function visibleServices(ctx: SidecarContext): ReadonlyMap<string, MeshService> {
  let visible = visibleByContext.get(ctx);
  if (!visible) {
    visible = new Map(ctx.outboundServices.map((s) => [s.hostname, s]));
    visibleByContext.set(ctx, visible);
  }
  return visible;
}

/**
 * Service ports named `<fqdn>:<port>` in the request, or all of them. Every port: the client speaks
 * gRPC to whatever it dials, whatever protocol the port declares for Envoys.
 */
function servicePorts(ctx: SidecarContext, names?: ReadonlySet<string>): [MeshService, MeshServicePort][] {
  if (!names)
    return ctx.outboundServices.flatMap((s) => s.ports.map((p) => [s, p] as [MeshService, MeshServicePort]));
  const visible = visibleServices(ctx);
  const out: [MeshService, MeshServicePort][] = [];
  for (const name of names) {
    const parsed = parseHostPort(name);
    const service = parsed && visible.get(parsed.hostname);
    const port = service?.ports.find((p) => p.port === parsed?.port);
    if (service && port) out.push([service, port]);
  }
  return out;
}

function clusters(
  ctx: SidecarContext,
  names?: ReadonlySet<string>,
): { service: MeshService; port: MeshServicePort; subset: string }[] {
  const wanted =
    names ??
    ctx.outboundServices.flatMap((s) => s.ports.flatMap((p) => outboundClusterNames(ctx.snapshot, s, p)));
  const visible = visibleServices(ctx);
  const out = [];
  for (const name of wanted) {
    const parsed = parseOutboundClusterName(name);
    const service = parsed && visible.get(parsed.hostname);
    const port = service?.ports.find((p) => p.port === parsed?.port);
    if (!parsed || !service || !port) continue;
    if (parsed.subset !== '' && !subsetsOf(ctx.snapshot, service.hostname).has(parsed.subset)) continue;
    out.push({ service, port, subset: parsed.subset });
  }
  return out;
}

/**
 * An API listener whose connection manager asks RDS for the route configuration of the same name, with
 * the filters Istio's grpcgen gives gRPC clients: fault injection, then the router.
 */
function apiListener(name: string): Obj {
  return {
    name,
    api_listener: {
      api_listener: {
        '@type': KNOWN_FILTERS.httpConnectionManager.type,
        stat_prefix: name,
        rds: { route_config_name: name, config_source: ADS },
        http_filters: [filterOf(KNOWN_FILTERS.fault), filterOf(KNOWN_FILTERS.router)],
      },
    },
  };
}
