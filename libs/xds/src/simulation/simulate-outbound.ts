import { compiledFilterChain, type HttpConnectionManager } from '../envoy/compiled-filter-chains.js';
import { originalDestinationListener, selectFilterChain } from '../envoy/filter-chains.js';
import { headerValues, type HeaderValues } from '../envoy/matchers.js';
import { routeTableOf, type ProxyConfig } from '../envoy/proxy-config.js';
import { selectRoute } from '../envoy/route-table.js';
import { clusterEndpoints } from './cluster-endpoints.js';
import type { HttpHeaders, OutboundCall, OutboundResult } from './simulation-types.js';

/**
 * An application's outbound call through the sidecar: `virtualOutbound` (15001) hands the connection
 * to the listener of its original destination, whose chain either proxies TCP to a cluster or runs
 * the HTTP connection manager: route config (RDS by name, or inline), virtual host, route, action.
 */

/** The request headers Envoy routes on, pseudo-headers included (`:scheme` https once TLS is terminated). */
export function requestHeaders(
  call: { host?: string; path?: string; method?: string; headers?: HttpHeaders },
  defaultHost: string,
  scheme: 'http' | 'https' = 'http',
): HeaderValues {
  return headerValues({
    ...call.headers,
    ':authority': call.host ?? defaultHost,
    ':path': call.path ?? '/',
    ':method': call.method ?? 'GET',
    ':scheme': scheme,
  });
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
  manager: HttpConnectionManager,
): OutboundResult {
  const routes = routeTableOf(config, manager);
  if (routes === undefined) return { ...base, error: 'route configuration not found' };
  const headers = requestHeaders(call, `${call.address}:${call.port}`);
  const host = headers.get(':authority') ?? '';
  const atRouteConfig = { ...base, routeConfig: routes.name };
  const vhost = routes.virtualHosts.lookup(host);
  if (vhost === undefined) return { ...atRouteConfig, error: `no virtual host matched ${host} (404 NR)` };
  const atVhost = { ...atRouteConfig, virtualHost: vhost.name };
  const route = selectRoute(vhost, headers);
  if (route === undefined) return { ...atVhost, error: 'no route matched (404 NR)' };
  const atRoute = { ...atVhost, ...(route.name === undefined ? {} : { route: route.name }) };
  const action = route.action;
  switch (action.kind) {
    case 'direct':
      return {
        ...atRoute,
        directResponse: {
          status: action.status,
          ...(action.body === undefined ? {} : { body: action.body }),
        },
      };
    case 'redirect':
      return { ...atRoute, redirect: action.config };
    case 'unresolved':
      return { ...atRoute, error: 'the route has no cluster this simulation can resolve' };
    default:
      return withClusters(config, call, { ...atRoute, clusters: action.clusters.clusters() });
  }
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
  const selected = selectFilterChain(listener, {
    port: call.port,
    address: call.address,
    transportProtocol: call.sni === undefined ? 'raw_buffer' : 'tls',
    alpn: [],
    ...(call.sni === undefined ? {} : { sni: call.sni }),
  });
  const base: OutboundResult = { listener: listener.name, filterChain: '', clusters: [], endpoints: [] };
  if (selected === undefined) return { ...base, error: 'no filter chain matched' };
  const chain = compiledFilterChain(listener, selected);
  const atChain = { ...base, filterChain: chain.name };
  if (chain.http !== undefined) {
    if (call.protocol === 'tcp')
      return { ...atChain, error: 'the chain speaks HTTP; raw TCP fails to parse as HTTP' };
    return routeHttp(config, call, atChain, chain.http);
  }
  if (chain.tcp === undefined)
    return { ...atChain, error: 'the chain has neither an HTTP manager nor tcp_proxy' };
  return withClusters(config, call, { ...atChain, clusters: chain.tcp.clusters.clusters() });
}
