/**
 * The records the proxy hands to telemetry. They carry what Istio's stats filter
 * (istio/proxy `source/extensions/filters/http/istio_stats`) reads from Envoy's stream info, already
 * resolved to plain values, so that the metric code only maps fields to Istio's label names.
 */

/**
 * Which proxy reports: `source` is the client-side sidecar (outbound), `destination` the server-side
 * sidecar (inbound). Every request crossing two sidecars is therefore counted twice, once per side,
 * exactly as in Istio; dashboards pick one side with `reporter="..."`.
 */
export type Reporter = 'source' | 'destination';

/** Istio's `request_protocol` label: gRPC is told apart from HTTP by its content type. */
export type RequestProtocol = 'http' | 'grpc' | 'tcp';

/**
 * Istio's `connection_security_policy` label. Only the destination reporter knows whether the
 * peer presented a certificate, so a source reporter always reports `unknown`.
 */
export type ConnectionSecurityPolicy = 'mutual_tls' | 'none' | 'unknown';

/**
 * Envoy's short response flags joined by commas (`UF,URX`), or `-` for none. The ones this proxy
 * produces: `UF` upstream connection failure, `UH` no healthy upstream, `NR` no route, `URX` retry
 * limit exceeded, `UO` upstream overflow (circuit breaker), `DC` downstream connection termination,
 * `UT` upstream request timeout, `UC` upstream connection termination, `FI` fault injected delay,
 * `DI` fault injected abort, `RL` rate limited, `UAEX` external authorization denied.
 */
export type ResponseFlags = string;

/** The flag value for "nothing unusual happened". */
export const NO_RESPONSE_FLAGS: ResponseFlags = '-';

/**
 * One side of a call, as Istio's metadata exchange describes a workload. An empty string means
 * "not known"; the metrics report it as `unknown` (`latest` for `canonicalRevision`), as Istio does.
 */
export interface PeerTelemetry {
  /** Workload name, e.g. the Deployment `reviews-v1`. */
  workload: string;
  namespace: string;
  /** SPIFFE identity, e.g. `spiffe://cluster.local/ns/default/sa/bookinfo-reviews`. */
  principal: string;
  /** The `app` label. */
  app: string;
  /** The `version` label. */
  version: string;
  canonicalService: string;
  canonicalRevision: string;
  /** The cluster ID (`ISTIO_META_CLUSTER_ID`, `Kubernetes` by default in Istio). */
  cluster: string;
}

/** The service a request was addressed to (the cluster's `istio.services[0]` metadata). */
export interface DestinationServiceTelemetry {
  /** Fully qualified host, e.g. `reviews.default.svc.cluster.local`. */
  host: string;
  /** Short name, e.g. `reviews`; also `PassthroughCluster` / `BlackHoleCluster` for unknown hosts. */
  name: string;
  namespace: string;
}

/** What every standard metric of a call shares, HTTP or TCP. */
export interface CallTelemetry {
  reporter: Reporter;
  source: PeerTelemetry;
  destination: PeerTelemetry;
  destinationService: DestinationServiceTelemetry;
  responseFlags: ResponseFlags;
  connectionSecurityPolicy: ConnectionSecurityPolicy;
}

/** One finished HTTP or gRPC request (Istio records at stream end, from the access-log hook). */
export interface RequestTelemetry extends CallTelemetry {
  requestProtocol: 'http' | 'grpc';
  /** HTTP status sent downstream; 0 when no response was started (e.g. the client went away). */
  responseCode: number;
  /** The `grpc-status` of a gRPC call; absent for plain HTTP (reported as an empty label). */
  grpcStatus?: number;
  durationMs: number;
  /** Bytes read from the downstream connection for this request, headers included (Envoy's wire bytes). */
  requestBytes: number;
  /** Bytes written to the downstream connection for this request, headers included. */
  responseBytes: number;
}

/** One TCP connection proxied without HTTP awareness; `request_protocol` is always `tcp`. */
export type ConnectionTelemetry = CallTelemetry;

/** Which RBAC filter denied: the HTTP filter or the network (TCP) filter. */
export type RbacFilterKind = 'http' | 'network';

/** One request or connection an RBAC policy denied, or would deny in shadow (dry-run) mode. */
export interface RbacDenial {
  /**
   * The deciding policy as Istio names it in the generated RBAC config,
   * e.g. `ns[default]-policy[deny-delete]-rule[0]`.
   */
  policy: string;
  filter: RbacFilterKind;
  /** True for a shadow (dry-run) rule: the request was let through but would have been denied. */
  shadow: boolean;
}
