import type { HTTPMatchRequest, HTTPRouteDestination, MeshSnapshot, VirtualService } from '@mesh/policy';
import { resolveHost } from '@mesh/policy';

import { outboundClusterName } from './resource-names.js';

type StringMatch = { exact?: string; prefix?: string; regex?: string };
type Obj = Record<string, unknown>;

/** Istio StringMatch → Envoy StringMatcher (RE2 regexes as Envoy's safe_regex). */
function stringMatcher(match: StringMatch): Obj | undefined {
  if (match.exact !== undefined) return { exact: match.exact };
  if (match.prefix !== undefined) return { prefix: match.prefix };
  if (match.regex !== undefined) return { safe_regex: { regex: match.regex } };
  return undefined;
}

/** Istio HTTPMatchRequest → Envoy RouteMatch (path, headers, query parameters). */
export function routeMatch(match: HTTPMatchRequest | undefined): Obj {
  const out: Obj = {};
  const uri = match?.uri as StringMatch | undefined;
  if (uri?.exact !== undefined) out['path'] = uri.exact;
  else if (uri?.prefix !== undefined) out['prefix'] = uri.prefix;
  else if (uri?.regex !== undefined) out['safe_regex'] = { regex: uri.regex };
  else out['prefix'] = '/';
  if (match?.ignoreUriCase) out['case_sensitive'] = { value: false };
  const headers: Obj[] = [];
  for (const [name, value] of Object.entries((match?.headers ?? {}) as Record<string, StringMatch>)) {
    const matcher = stringMatcher(value);
    headers.push(matcher ? { name, string_match: matcher } : { name, present_match: true });
  }
  if (match?.method) {
    const matcher = stringMatcher(match.method as StringMatch);
    if (matcher) headers.push({ name: ':method', string_match: matcher });
  }
  if (match?.authority) {
    const matcher = stringMatcher(match.authority as StringMatch);
    if (matcher) headers.push({ name: ':authority', string_match: matcher });
  }
  if (headers.length > 0) out['headers'] = headers;
  const queryParameters = Object.entries((match?.queryParams ?? {}) as Record<string, StringMatch>).map(
    ([name, value]) => {
      const matcher = stringMatcher(value);
      return matcher ? { name, string_match: matcher } : { name, present_match: true };
    },
  );
  if (queryParameters.length > 0) out['query_parameters'] = queryParameters;
  return out;
}

/** Route destinations → a weighted_clusters action over `outbound|port|subset|host` clusters. */
export function routeAction(
  destinations: readonly HTTPRouteDestination[],
  namespace: string,
  defaultPort: number,
  snapshot: MeshSnapshot,
): Obj {
  const clusters = destinations.map((d) => {
    const hostname = resolveHost(d.destination.host, namespace, snapshot.domainSuffix);
    const port = d.destination.port?.number ?? snapshot.service(hostname)?.ports[0]?.port ?? defaultPort;
    return {
      name: outboundClusterName(port, d.destination.subset ?? '', hostname),
      weight: { value: d.weight ?? (destinations.length === 1 ? 100 : 0) },
    };
  });
  if (clusters.length === 1) return { cluster: clusters[0]?.name };
  return { weighted_clusters: { clusters: clusters.filter((c) => c.weight.value > 0) } };
}

/**
 * The routes of a host:port from its VirtualServices, in order (first match wins, as Istio's HTTP routes
 * do), then the default route to the service itself when no rule matches everything.
 */
export function httpRoutes(
  virtualServices: readonly VirtualService[],
  hostname: string,
  port: number,
  snapshot: MeshSnapshot,
): Obj[] {
  const routes: Obj[] = [];
  for (const vs of virtualServices) {
    const namespace = vs.metadata.namespace ?? 'default';
    for (const [i, rule] of (vs.spec.http ?? []).entries()) {
      const destinations = (rule.route ?? []) as HTTPRouteDestination[];
      if (destinations.length === 0) continue;
      const matches = (rule.match ?? []).filter((m) => m.port === undefined || m.port === port);
      if (rule.match && rule.match.length > 0 && matches.length === 0) continue;
      const action = routeAction(destinations, namespace, port, snapshot);
      for (const match of matches.length > 0 ? matches : [undefined]) {
        routes.push({
          name: rule.name ?? `${vs.metadata.name}.${namespace}.${i}`,
          match: routeMatch(match),
          route: action,
          metadata: {
            filter_metadata: {
              istio: {
                fields: {
                  config: {
                    string_value: `/apis/networking.istio.io/v1/namespaces/${namespace}/virtual-service/${vs.metadata.name}`,
                  },
                },
              },
            },
          },
        });
      }
    }
  }
  routes.push({
    name: 'default',
    match: { prefix: '/' },
    route: { cluster: outboundClusterName(port, '', hostname) },
  });
  return routes;
}
