import type { EnvoyCidrRange } from './addresses-and-metadata.js';

/**
 * The parts of Envoy's v3 resources the data plane reads, as the ADS client decodes them (canonical
 * JSON: snake_case fields, `@type` on typed configs). Validated before they get here (`resources/`);
 * these types only name what the data-plane semantics in this folder read.
 */

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

export interface EnvoyTransportSocket {
  name: string;
  typed_config?: Obj;
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

export interface EnvoyRouteConfiguration {
  name: string;
  virtual_hosts?: EnvoyVirtualHost[];
}

export interface EnvoyVirtualHost {
  name: string;
  domains: string[];
  routes?: EnvoyRoute[];
  /** `ALL`: plain-HTTP requests get a 301 to https (a gateway server's `httpsRedirect`). */
  require_tls?: string;
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
