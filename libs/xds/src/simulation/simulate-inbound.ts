import {
  compiledFilterChain,
  type CompiledFilterChain,
  type HttpConnectionManager,
} from '../envoy/compiled-filter-chains.js';
import { selectFilterChain } from '../envoy/filter-chains.js';
import type { EnvoyRbacRequest } from '../envoy/rbac-engine.js';
import { managedPath, runRbacFilters } from '../envoy/rbac-filters.js';
import { routeTableOf, type ProxyConfig } from '../envoy/proxy-config.js';
import { selectRoute } from '../envoy/route-table.js';
import { requestHeaders } from './simulate-outbound.js';
import type { InboundCall, InboundResult } from './simulation-types.js';

/**
 * A call arriving at the workload: `virtualInbound` (15006) picks a filter chain by original port and
 * TLS (which is where PeerAuthentication acts), terminates mTLS when the chain says so, runs the RBAC
 * filters with Envoy's semantics (`envoy/rbac-engine.ts`) and routes to `inbound|<port>||`.
 */

function throughHttp(
  config: ProxyConfig,
  call: InboundCall,
  at: InboundResult & { tls: boolean },
  manager: HttpConnectionManager,
  rbacRequest: EnvoyRbacRequest,
): InboundResult {
  const path = managedPath(manager.pathNormalization, call.path ?? '/');
  if (path === undefined) return { ...at, error: 'the path is rejected before routing (400)' };
  const scheme = at.tls ? 'https' : 'http';
  const headers = requestHeaders({ ...call, path }, call.host ?? `localhost:${call.port}`, scheme);
  const rbac = runRbacFilters(manager.rbac, { ...rbacRequest, headers });
  const withRbac = rbac === undefined ? at : { ...at, rbac };
  if (rbac?.decision === 'DENY') return { ...withRbac, denied: { status: 403, body: 'RBAC: access denied' } };
  const vhost = routeTableOf(config, manager)?.virtualHosts.lookup(headers.get(':authority') ?? '');
  const route = vhost && selectRoute(vhost, headers);
  const cluster = route?.action.kind === 'forward' ? route.action.clusters.entries[0]?.name : undefined;
  if (cluster === undefined) return { ...withRbac, error: 'no route matched (404 NR)' };
  return { ...withRbac, ...(route?.name === undefined ? {} : { route: route.name }), cluster };
}

function throughTcp(
  chain: CompiledFilterChain,
  at: InboundResult,
  rbacRequest: EnvoyRbacRequest,
): InboundResult {
  const rbac = runRbacFilters(chain.rbac, rbacRequest);
  const withRbac = rbac === undefined ? at : { ...at, rbac };
  if (rbac?.decision === 'DENY') return { ...withRbac, denied: { connection: 'closed' } };
  const cluster = chain.tcp?.clusters.entries[0]?.name;
  return cluster === undefined
    ? { ...withRbac, error: 'the chain has no tcp_proxy cluster' }
    : { ...withRbac, cluster };
}

export function simulateInbound(config: ProxyConfig, call: InboundCall): InboundResult {
  const listener = config.listeners.find((l) => l.name === 'virtualInbound');
  if (listener === undefined) return { listener: '', error: 'no virtualInbound listener' };
  // Istio's http_inspector reports plaintext HTTP/1.1 as ALPN `http/1.1`; TLS clients send their own.
  const alpn = call.tls ? (call.alpn ?? []) : call.protocol === 'http' ? ['http/1.1'] : [];
  const selected = selectFilterChain(listener, {
    port: call.port,
    transportProtocol: call.tls ? 'tls' : 'raw_buffer',
    alpn,
    ...(call.sni === undefined ? {} : { sni: call.sni }),
  });
  if (selected === undefined) return { listener: listener.name, error: 'no filter chain matched' };
  const chain = compiledFilterChain(listener, selected);
  const terminates = chain.tls !== undefined;
  const at = { listener: listener.name, filterChain: chain.name, tls: terminates };
  if (chain.tls?.requireClientCertificate === true && call.sourcePrincipal === undefined)
    return { ...at, error: 'TLS handshake failed: the chain requires a client certificate' };
  const rbacRequest: EnvoyRbacRequest = {
    destinationPort: call.port,
    requestedServerName: call.sni ?? '',
    ...(terminates && call.sourcePrincipal !== undefined
      ? { peerCertificate: { uriSans: [`spiffe://${call.sourcePrincipal}`] } }
      : {}),
    ...(call.sourceIp === undefined ? {} : { directRemoteIp: call.sourceIp }),
    ...(call.destinationIp === undefined ? {} : { destinationIp: call.destinationIp }),
  };
  if (chain.http === undefined) return throughTcp(chain, at, rbacRequest);
  if (call.protocol !== 'http')
    return { ...at, error: 'the chain speaks HTTP; raw TCP fails to parse as HTTP' };
  if (call.tls && !terminates)
    return {
      ...at,
      error: 'the chain does not terminate TLS, so its HTTP manager cannot parse the handshake',
    };
  return throughHttp(config, call, at, chain.http, rbacRequest);
}
