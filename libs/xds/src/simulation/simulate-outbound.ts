import { headerValues, type HeaderValues } from './envoy-matchers.js';
import { chainName, originalDestinationListener, selectFilterChain } from './filter-chains.js';
import { routeClusters, selectRoute, selectVirtualHost } from './http-routing.js';
import type {
  EnvoyFilterChain,
  EnvoyRouteConfiguration,
  HttpHeaders,
  OutboundCall,
  OutboundResult,
  ProxyConfig,
} from './simulation-types.js';
import { clusterEndpoints } from './upstream-endpoints.js';

/**
 * An application's outbound call through the sidecar: `virtualOutbound` (15001) hands the connection
 * to the listener of its original destination, whose chain either proxies TCP to a cluster or runs
 * the HTTP connection manager: route config (RDS by name, or inline), virtual host, route, action.
 */

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

/** The request headers Envoy routes on, pseudo-headers included. */
export function requestHeaders(
  call: { host?: string; path?: string; method?: string; headers?: HttpHeaders },
  defaultHost: string,
): HeaderValues {
  return headerValues({
    ...call.headers,
    ':authority': call.host ?? defaultHost,
    ':path': call.path ?? '/',
    ':method': call.method ?? 'GET',
    ':scheme': 'http',
  });
}

/** The network filter of a chain with the given name, if any. */
export function networkFilter(chain: EnvoyFilterChain, name: string): Record<string, unknown> | undefined {
  return chain.filters.find((filter) => filter.name === name)?.typed_config;
}

function routeConfigOf(
  config: ProxyConfig,
  hcm: Record<string, unknown>,
): EnvoyRouteConfiguration | undefined {
  const rds = hcm['rds'] as { route_config_name?: string } | undefined;
  if (rds?.route_config_name !== undefined) return config.routes.get(rds.route_config_name);
  return hcm['route_config'] as EnvoyRouteConfiguration | undefined;
}

function withClusters(config: ProxyConfig, call: OutboundCall, result: OutboundResult): OutboundResult {
  const destination = { address: call.address, port: call.port };
  for (const { name } of result.clusters) {
    const endpoints = clusterEndpoints(config, name, destination);
    if (endpoints === undefined) return { ...result, error: `cluster ${name} not found (503 NC)` };
    result.endpoints.push(...endpoints);
  }
  return result;
}

function routeHttp(
  config: ProxyConfig,
  call: OutboundCall,
  base: OutboundResult,
  hcm: Record<string, unknown>,
): OutboundResult {
  const routeConfig = routeConfigOf(config, hcm);
  if (routeConfig === undefined) return { ...base, error: 'route configuration not found' };
  const headers = requestHeaders(call, `${call.address}:${call.port}`);
  const host = headers.get(':authority') ?? '';
  const atRouteConfig = { ...base, routeConfig: routeConfig.name };
  const vhost = selectVirtualHost(routeConfig, host);
  if (vhost === undefined) return { ...atRouteConfig, error: `no virtual host matched ${host} (404 NR)` };
  const atVhost = { ...atRouteConfig, virtualHost: vhost.name };
  const route = selectRoute(vhost, headers);
  if (route === undefined) return { ...atVhost, error: 'no route matched (404 NR)' };
  const atRoute = { ...atVhost, ...(route.name === undefined ? {} : { route: route.name }) };
  if (route.direct_response !== undefined) {
    const { status, body } = route.direct_response;
    const text = body?.inline_string;
    return { ...atRoute, directResponse: { status, ...(text === undefined ? {} : { body: text }) } };
  }
  if (route.redirect !== undefined) return { ...atRoute, redirect: route.redirect };
  const clusters = routeClusters(route);
  if (clusters.length === 0)
    return { ...atRoute, error: 'the route has no cluster this simulation can resolve' };
  return withClusters(config, call, { ...atRoute, clusters });
}

export function simulateOutbound(config: ProxyConfig, call: OutboundCall): OutboundResult {
  const receiving = config.listeners.find((l) => l.use_original_dst?.value === true);
  if (receiving === undefined)
    return {
      listener: '',
      filterChain: '',
      clusters: [],
      endpoints: [],
      error: 'no virtualOutbound listener',
    };
  const listener = originalDestinationListener(config.listeners, receiving, call.address, call.port);
  const chain = selectFilterChain(listener, {
    port: call.port,
    address: call.address,
    transportProtocol: call.sni === undefined ? 'raw_buffer' : 'tls',
    alpn: [],
    ...(call.sni === undefined ? {} : { sni: call.sni }),
  });
  const base: OutboundResult = { listener: listener.name, filterChain: '', clusters: [], endpoints: [] };
  if (chain === undefined) return { ...base, error: 'no filter chain matched' };
  const atChain = { ...base, filterChain: chainName(listener, chain) };
  const hcm = networkFilter(chain, HCM);
  if (hcm !== undefined) {
    if (call.protocol === 'tcp')
      return { ...atChain, error: 'the chain speaks HTTP; raw TCP fails to parse as HTTP' };
    return routeHttp(config, call, atChain, hcm);
  }
  const tcp = networkFilter(chain, TCP_PROXY) as
    { cluster?: string; weighted_clusters?: { clusters: { name: string; weight: number }[] } } | undefined;
  if (tcp === undefined) return { ...atChain, error: 'the chain has neither an HTTP manager nor tcp_proxy' };
  const clusters =
    tcp.cluster !== undefined
      ? [{ name: tcp.cluster }]
      : (tcp.weighted_clusters?.clusters ?? []).map((c) => ({ name: c.name, weight: c.weight }));
  return withClusters(config, call, { ...atChain, clusters });
}
