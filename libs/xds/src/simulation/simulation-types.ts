import type { EnvoyCidrRange } from './envoy-addresses-and-metadata.js';
/**
 * The calls the traffic simulation sends and what it reports, after Istio's `pilot/pkg/simulation`:
 * a call described as the proxy sees it, walked through one proxy's generated Envoy config.
 */

/** The generated resources of one proxy, indexed the way Envoy looks them up. */
export interface ProxyConfig {
  listeners: readonly EnvoyListener[];
  routes: ReadonlyMap<string, EnvoyRouteConfiguration>;
  clusters: ReadonlyMap<string, EnvoyCluster>;
  loadAssignments: ReadonlyMap<string, EnvoyLoadAssignment>;
}

type Obj = Record<string, unknown>;

export interface EnvoyFilter {
  name: string;
  typed_config?: Obj;
}

export interface EnvoyFilterChainMatch {
  destination_port?: { value: number };
  prefix_ranges?: EnvoyCidrRange[];
  server_names?: string[];
  transport_protocol?: string;
  application_protocols?: string[];
}

export interface EnvoyFilterChain {
  name?: string;
  filter_chain_match?: EnvoyFilterChainMatch;
  filters: EnvoyFilter[];
  transport_socket?: EnvoyTransportSocket;
}

export interface EnvoyListener {
  name: string;
  address?: { socket_address?: { address?: string; port_value?: number } };
  filter_chains?: EnvoyFilterChain[];
  default_filter_chain?: EnvoyFilterChain;
  use_original_dst?: { value: boolean };
}

export interface EnvoyTransportSocket {
  name: string;
  typed_config?: Obj;
}

export interface EnvoyRouteConfiguration {
  name: string;
  virtual_hosts?: EnvoyVirtualHost[];
}

export interface EnvoyVirtualHost {
  name: string;
  domains: string[];
  routes?: EnvoyRoute[];
}

export interface EnvoyRoute {
  name?: string;
  match: Obj;
  route?: Obj;
  redirect?: Obj;
  direct_response?: { status: number; body?: { inline_string?: string } };
}

export interface EnvoyCluster {
  name: string;
  type?: string;
  load_assignment?: EnvoyLoadAssignment;
  transport_socket?: EnvoyTransportSocket;
  transport_socket_matches?: {
    name: string;
    match?: { fields?: Obj };
    transport_socket: EnvoyTransportSocket;
  }[];
}

export interface EnvoyLbEndpoint {
  endpoint?: { address?: { socket_address?: { address?: string; port_value?: number } } };
  metadata?: { filter_metadata?: Record<string, { fields?: Obj }> };
}

export interface EnvoyLoadAssignment {
  cluster_name: string;
  endpoints?: { lb_endpoints?: EnvoyLbEndpoint[] }[];
}

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

export interface RbacOutcome {
  decision: 'ALLOW' | 'DENY';
  /** The policy that decided: the DENY rule that denied or the ALLOW rule that allowed. */
  policy?: string;
  /** The AUDIT (RBAC `LOG`) rule that marked the request, if any. */
  audit?: string;
  /** Shadow (dry-run) results of the filters the request reached. */
  shadow?: { action: string; policy?: string; effect: 'allowed' | 'denied' }[];
}

export interface InboundResult {
  listener: string;
  filterChain?: string;
  /** Whether the chain terminates TLS (Istio mTLS: it also requires a client certificate). */
  tls?: boolean;
  rbac?: RbacOutcome;
  /** Where the request goes: `inbound|<port>||`, or InboundPassthroughCluster/BlackHoleCluster. */
  cluster?: string;
  /** HTTP 403 `RBAC: access denied`, or for TCP the connection closed. */
  denied?: { status: 403; body: 'RBAC: access denied' } | { connection: 'closed' };
  error?: string;
}
