import { normalizeRequestPath } from '@mesh/policy';

import { evaluateEnvoyRbac, type EnvoyRbacConfig, type EnvoyRbacRequest } from './envoy-rbac.js';
import { chainName, selectFilterChain } from './filter-chains.js';
import { routeClusters, selectRoute, selectVirtualHost } from './http-routing.js';
import { networkFilter, requestHeaders } from './simulate-outbound.js';
import type {
  EnvoyFilter,
  EnvoyFilterChain,
  EnvoyListener,
  EnvoyRouteConfiguration,
  InboundCall,
  InboundResult,
  RbacOutcome,
} from './simulation-types.js';

/**
 * A call arriving at the workload: `virtualInbound` (15006) picks a filter chain by original port and
 * TLS (which is where PeerAuthentication acts), terminates mTLS when the chain says so, runs the RBAC
 * filters with Envoy's semantics (`envoy-rbac.ts`) and routes to `inbound|<port>||`.
 */

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
const RBAC_TYPES = new Set([
  'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
]);

/** Runs RBAC filters in order until one denies; reports the deciding policy and the shadow results. */
function runRbac(filters: readonly EnvoyFilter[], request: EnvoyRbacRequest): RbacOutcome | undefined {
  const rbac = filters.filter((f) => RBAC_TYPES.has(String(f.typed_config?.['@type'])));
  if (rbac.length === 0) return undefined;
  const outcome: RbacOutcome = { decision: 'ALLOW' };
  const shadow: NonNullable<RbacOutcome['shadow']> = [];
  for (const filter of rbac) {
    const result = evaluateEnvoyRbac(filter.typed_config as EnvoyRbacConfig, request);
    if (result.shadow !== undefined) {
      const { action, policy, allowed } = result.shadow;
      shadow.push({
        action,
        ...(policy === undefined ? {} : { policy }),
        effect: allowed ? 'allowed' : 'denied',
      });
    }
    const enforced = result.enforced;
    if (enforced?.action === 'LOG' && enforced.policy !== undefined) outcome.audit ??= enforced.policy;
    if (!result.allowed) {
      outcome.decision = 'DENY';
      if (enforced?.policy !== undefined) outcome.policy = enforced.policy;
      else delete outcome.policy;
      break;
    }
    if (enforced?.action === 'ALLOW' && enforced.policy !== undefined) outcome.policy = enforced.policy;
  }
  return shadow.length > 0 ? { ...outcome, shadow } : outcome;
}

/** The path Envoy matches and authorizes on, after the manager's own normalization. */
function managedPath(hcm: Record<string, unknown>, path: string): string | undefined {
  const normalize = (hcm['normalize_path'] as { value?: boolean } | undefined)?.value === true;
  const merge = hcm['merge_slashes'] === true;
  if (!normalize && !merge) return path;
  const q = path.search(/[?#]/);
  const normalized = normalizeRequestPath(path, merge ? 'MERGE_SLASHES' : 'BASE');
  return normalized.ok ? normalized.path + (q < 0 ? '' : path.slice(q)) : undefined;
}

function throughHttp(
  call: InboundCall,
  at: InboundResult,
  hcm: Record<string, unknown>,
  rbacRequest: EnvoyRbacRequest,
): InboundResult {
  const path = managedPath(hcm, call.path ?? '/');
  if (path === undefined) return { ...at, error: 'the path is rejected before routing (400)' };
  const headers = requestHeaders({ ...call, path }, call.host ?? `localhost:${call.port}`);
  const rbac = runRbac((hcm['http_filters'] ?? []) as EnvoyFilter[], { ...rbacRequest, headers });
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
  const rbac = runRbac(chain.filters, rbacRequest);
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
