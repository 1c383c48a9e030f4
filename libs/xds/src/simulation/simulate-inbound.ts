import type { EnvoyRbacRequest } from './envoy-rbac.js';
import { chainName, selectFilterChain } from './filter-chains.js';
import { routeClusters, selectRoute, selectVirtualHost } from './http-routing.js';
import { managedPath, runRbacFilters } from './rbac-filters.js';
import { networkFilter, requestHeaders } from './simulate-outbound.js';
import type {
  EnvoyFilter,
  EnvoyFilterChain,
  EnvoyListener,
  EnvoyRouteConfiguration,
  InboundCall,
  InboundResult,
} from './simulation-types.js';

/**
 * A call arriving at the workload: `virtualInbound` (15006) picks a filter chain by original port and
 * TLS (which is where PeerAuthentication acts), terminates mTLS when the chain says so, runs the RBAC
 * filters with Envoy's semantics (`envoy-rbac.ts`) and routes to `inbound|<port>||`.
 */

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

function throughHttp(
  call: InboundCall,
  at: InboundResult,
  hcm: Record<string, unknown>,
  rbacRequest: EnvoyRbacRequest,
): InboundResult {
  const path = managedPath(hcm, call.path ?? '/');
  if (path === undefined) return { ...at, error: 'the path is rejected before routing (400)' };
  const headers = requestHeaders({ ...call, path }, call.host ?? `localhost:${call.port}`);
  const rbac = runRbacFilters((hcm['http_filters'] ?? []) as EnvoyFilter[], { ...rbacRequest, headers });
  const withRbac = rbac === undefined ? at : { ...at, rbac };
  if (rbac?.decision === 'DENY') return { ...withRbac, denied: { status: 403, body: 'RBAC: access denied' } };
  const routeConfig = hcm['route_config'] as EnvoyRouteConfiguration | undefined;
  const vhost = routeConfig && selectVirtualHost(routeConfig, headers.get(':authority') ?? '');
  const route = vhost && selectRoute(vhost, headers);
  const cluster = route && routeClusters(route)[0]?.name;
  return cluster === undefined
    ? { ...withRbac, error: 'no route matched (404 NR)' }
    : { ...withRbac, cluster };
}

function throughTcp(
  chain: EnvoyFilterChain,
  at: InboundResult,
  rbacRequest: EnvoyRbacRequest,
): InboundResult {
  const rbac = runRbacFilters(chain.filters, rbacRequest);
  const withRbac = rbac === undefined ? at : { ...at, rbac };
  if (rbac?.decision === 'DENY') return { ...withRbac, denied: { connection: 'closed' } };
  const cluster = (networkFilter(chain, TCP_PROXY) as { cluster?: string } | undefined)?.cluster;
  return cluster === undefined
    ? { ...withRbac, error: 'the chain has no tcp_proxy cluster' }
    : { ...withRbac, cluster };
}

function requiresClientCertificate(chain: EnvoyFilterChain): boolean {
  const required = chain.transport_socket?.typed_config?.['require_client_certificate'] as
    { value?: boolean } | undefined;
  return required?.value === true;
}

export function simulateInbound(listeners: readonly EnvoyListener[], call: InboundCall): InboundResult {
  const listener = listeners.find((l) => l.name === 'virtualInbound');
  if (listener === undefined) return { listener: '', error: 'no virtualInbound listener' };
  // Istio's http_inspector reports plaintext HTTP/1.1 as ALPN `http/1.1`; TLS clients send their own.
  const alpn = call.tls ? (call.alpn ?? []) : call.protocol === 'http' ? ['http/1.1'] : [];
  const chain = selectFilterChain(listener, {
    port: call.port,
    transportProtocol: call.tls ? 'tls' : 'raw_buffer',
    alpn,
    ...(call.sni === undefined ? {} : { sni: call.sni }),
  });
  if (chain === undefined) return { listener: listener.name, error: 'no filter chain matched' };
  const terminates = chain.transport_socket?.name === 'envoy.transport_sockets.tls';
  const at: InboundResult = {
    listener: listener.name,
    filterChain: chainName(listener, chain),
    tls: terminates,
  };
  if (terminates && requiresClientCertificate(chain) && call.sourcePrincipal === undefined)
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
  const hcm = networkFilter(chain, HCM);
  if (hcm === undefined) return throughTcp(chain, at, rbacRequest);
  if (call.protocol !== 'http')
    return { ...at, error: 'the chain speaks HTTP; raw TCP fails to parse as HTTP' };
  if (call.tls && !terminates)
    return {
      ...at,
      error: 'the chain does not terminate TLS, so its HTTP manager cannot parse the handshake',
    };
  return throughHttp(call, at, hcm, rbacRequest);
}
