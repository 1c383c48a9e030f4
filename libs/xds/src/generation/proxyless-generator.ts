import type { MeshService, MeshServicePort, MeshSnapshot } from '@mesh/policy';

import { filterOf, KNOWN_FILTERS } from '../envoy/known-filters.js';
import { TypeUrl } from '../type-urls.js';
import { edsCluster, loadAssignment, outboundClusterNames, subsetsOf } from './clusters-and-endpoints.js';
import { httpRoutes } from './http-routes.js';
import { hostPortName, parseHostPort, parseOutboundClusterName } from './resource-names.js';

type Obj = Record<string, unknown>;

/** What a client asked for: names of one type, or everything (wildcard). */
export interface GenerationRequest {
  typeUrl: string;
  wildcard: boolean;
  names: ReadonlySet<string>;
}

const ADS = { ads: {}, resource_api_version: 'V3' };

/**
 * Envoy resources for proxyless gRPC clients, as Istio's grpcgen serves them: an API listener per
 * `<fqdn>:<port>` (what `xds:///<fqdn>:<port>` asks for) whose RDS route of the same name carries the
 * VirtualService routes, EDS clusters `outbound|port|subset|fqdn` and their endpoints.
 */
export function generateProxyless(snapshot: MeshSnapshot, request: GenerationRequest): Obj[] {
  switch (request.typeUrl) {
    case TypeUrl.Listener:
      return servicePorts(snapshot, request).map(([service, port]) =>
        apiListener(hostPortName(service.hostname, port.port)),
      );
    case TypeUrl.RouteConfiguration:
      return servicePorts(snapshot, request).map(([service, port]) =>
        routeConfiguration(snapshot, service, port),
      );
    case TypeUrl.Cluster:
      return clusters(snapshot, request).map(({ service, port, subset }) =>
        edsCluster(snapshot, service, port, subset),
      );
    case TypeUrl.ClusterLoadAssignment:
      return clusters(snapshot, request).map(({ service, port, subset }) =>
        loadAssignment(snapshot, service, port, subset),
      );
    default:
      return [];
  }
}

/** Service ports named `<fqdn>:<port>` in the request, or all of them for a wildcard. */
function servicePorts(snapshot: MeshSnapshot, request: GenerationRequest): [MeshService, MeshServicePort][] {
  const all = snapshot.services.flatMap((s) => s.ports.map((p) => [s, p] as [MeshService, MeshServicePort]));
  if (request.wildcard) return all;
  const out: [MeshService, MeshServicePort][] = [];
  for (const name of request.names) {
    const parsed = parseHostPort(name);
    const service = parsed && snapshot.service(parsed.hostname);
    const port = service?.ports.find((p) => p.port === parsed?.port);
    if (service && port) out.push([service, port]);
  }
  return out;
}

function clusters(
  snapshot: MeshSnapshot,
  request: GenerationRequest,
): { service: MeshService; port: MeshServicePort; subset: string }[] {
  const names = request.wildcard
    ? snapshot.services.flatMap((s) => s.ports.flatMap((p) => outboundClusterNames(snapshot, s, p)))
    : [...request.names];
  const out = [];
  for (const name of names) {
    const parsed = parseOutboundClusterName(name);
    const service = parsed && snapshot.service(parsed.hostname);
    const port = service?.ports.find((p) => p.port === parsed?.port);
    if (!parsed || !service || !port) continue;
    if (parsed.subset !== '' && !subsetsOf(snapshot, service.hostname).has(parsed.subset)) continue;
    out.push({ service, port, subset: parsed.subset });
  }
  return out;
}

function apiListener(name: string): Obj {
  return {
    name,
    api_listener: {
      api_listener: {
        '@type': KNOWN_FILTERS.httpConnectionManager.type,
        stat_prefix: name,
        rds: { route_config_name: name, config_source: ADS },
        http_filters: [filterOf(KNOWN_FILTERS.router)],
      },
    },
  };
}

function routeConfiguration(snapshot: MeshSnapshot, service: MeshService, port: MeshServicePort): Obj {
  const name = hostPortName(service.hostname, port.port);
  return {
    name,
    virtual_hosts: [
      {
        name,
        // The client matches its target authority; '*' keeps short forms working too.
        domains: [name, service.hostname, '*'],
        routes: httpRoutes(snapshot.virtualServices(service.hostname), service.hostname, port.port, snapshot),
      },
    ],
  };
}
