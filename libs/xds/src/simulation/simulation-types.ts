import type { RbacOutcome } from '../envoy/rbac-filters.js';

/**
 * The calls the traffic simulation sends and what it reports, after Istio's `pilot/pkg/simulation`:
 * a call described as the proxy sees it, walked through one proxy's generated Envoy config.
 */

type Obj = Record<string, unknown>;

export type HttpHeaders = Readonly<Record<string, string | readonly string[]>>;

/** A connection (and, for HTTP, a request) the application makes; iptables sends it to 15001. */
export interface OutboundCall {
  direction: 'outbound';
  /** The original destination address: a service VIP, or any address the app dialled. */
  address: string;
  port: number;
  protocol: 'http' | 'tcp';
  /**
   * The server name of the application's own TLS ClientHello (TLS origination by the app, passed
   * through by the sidecar); the listener picks an SNI filter chain by it. Unset: plaintext.
   */
  sni?: string;
  /** `:authority`; defaults to `address:port`. */
  host?: string;
  path?: string;
  method?: string;
  headers?: HttpHeaders;
}

/** A connection (and request) arriving at the workload; iptables sends it to 15006. */
export interface InboundCall {
  direction: 'inbound';
  /** The original destination port: the container (target) port. */
  port: number;
  /** Whether the client speaks TLS; with `sourcePrincipal`, Istio mTLS from a sidecar. */
  tls: boolean;
  /** ALPN the client offers; a sidecar offers `istio-http/1.1`, `istio` and the like. */
  alpn?: readonly string[];
  sni?: string;
  protocol: 'http' | 'tcp';
  /** The client certificate's SPIFFE identity without `spiffe://` (mTLS only). */
  sourcePrincipal?: string;
  sourceIp?: string;
  destinationIp?: string;
  host?: string;
  path?: string;
  method?: string;
  headers?: HttpHeaders;
}

export type Call = OutboundCall | InboundCall;

export type UpstreamTls = 'ISTIO_MUTUAL' | 'SIMPLE' | 'MUTUAL' | 'plaintext';

export interface SimulatedEndpoint {
  cluster: string;
  address: string;
  port: number;
  tls: UpstreamTls;
  /** The `transport_socket_matches` entry that chose the socket, when one did. */
  transportSocketMatch?: string;
}

export interface OutboundResult {
  listener: string;
  filterChain: string;
  routeConfig?: string;
  virtualHost?: string;
  route?: string;
  /** Every cluster the action can pick, with its weight for weighted routes. */
  clusters: { name: string; weight?: number }[];
  endpoints: SimulatedEndpoint[];
  directResponse?: { status: number; body?: string };
  redirect?: Obj;
  /** Why the call went nowhere: `no filter chain matched`, `no virtual host matched`, ... */
  error?: string;
}

export interface InboundResult {
  listener: string;
  filterChain?: string;
  /** Whether the chain terminates TLS (Istio mTLS: it also requires a client certificate). */
  tls?: boolean;
  rbac?: RbacOutcome;
  /** The route of the inbound HTTP manager the request matched. */
  route?: string;
  /** Where the request goes: `inbound|<port>||`, or InboundPassthroughCluster/BlackHoleCluster. */
  cluster?: string;
  /** HTTP 403 `RBAC: access denied`, or for TCP the connection closed. */
  denied?: { status: 403; body: 'RBAC: access denied' } | { connection: 'closed' };
  error?: string;
}
