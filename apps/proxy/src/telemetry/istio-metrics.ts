import { Counter, Histogram, Registry } from 'prom-client';

import { DEFAULT_CANONICAL_REVISION } from './peer-telemetry.js';
import type {
  CallTelemetry,
  ConnectionTelemetry,
  PeerTelemetry,
  RbacDenial,
  RequestTelemetry,
} from './telemetry-types.js';

/**
 * Envoy's default histogram buckets. Istio's bootstrap sets no `histogram_bucket_settings` unless
 * a pod asks for them (`sidecar.istio.io/statsHistogramBuckets`), so every Istio histogram,
 * durations and sizes alike, uses these bounds; dashboards' `histogram_quantile` sees the same `le`s.
 */
export const ENVOY_DEFAULT_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** Labels of every standard metric (the tags of Istio's stats filter, which Envoy prints as labels). */
export const PEER_LABELS = [
  'reporter',
  'source_workload',
  'source_canonical_service',
  'source_canonical_revision',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_service_name',
  'destination_service_namespace',
  'destination_cluster',
  'request_protocol',
  'response_flags',
  'connection_security_policy',
] as const;

/** HTTP and gRPC metrics add the response; TCP metrics have no such labels (as in Istio). */
export const REQUEST_LABELS = [...PEER_LABELS, 'response_code', 'grpc_response_status'] as const;

type PeerLabel = (typeof PEER_LABELS)[number];
type RequestLabel = (typeof REQUEST_LABELS)[number];

/**
 * Our own metric, not Istio's: Envoy only counts RBAC denials per filter
 * (`envoy_http_rbac_denied`), so nobody can tell from metrics which AuthorizationPolicy denied.
 */
export const RBAC_DENIED_METRIC = 'mesh_proxy_rbac_denied_total';

/**
 * Istio's standard metrics, named and labelled as Envoy's Istio stats filter exposes them on
 * `/stats/prometheus`, so Istio's Grafana dashboards and alerts work unchanged; plus
 * `mesh_proxy_rbac_denied_total{policy, filter, shadow}`, counting denials per deciding policy.
 */
export class IstioMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<RequestLabel>;
  readonly #duration: Histogram<RequestLabel>;
  readonly #requestBytes: Histogram<RequestLabel>;
  readonly #responseBytes: Histogram<RequestLabel>;
  readonly #tcpOpened: Counter<PeerLabel>;
  readonly #tcpClosed: Counter<PeerLabel>;
  readonly #tcpSent: Counter<PeerLabel>;
  readonly #tcpReceived: Counter<PeerLabel>;
  readonly #rbacDenied: Counter<'policy' | 'filter' | 'shadow'>;

  constructor() {
    const registers = [this.registry];
    const labelNames = REQUEST_LABELS;
    const counter = <L extends string>(name: string, help: string, labels: readonly L[]) =>
      new Counter<L>({ name, help, labelNames: labels, registers });
    const histogram = (name: string, help: string) =>
      new Histogram<RequestLabel>({
        name,
        help,
        labelNames,
        buckets: [...ENVOY_DEFAULT_BUCKETS],
        registers,
      });

    this.#requests = counter('istio_requests_total', 'Requests handled by the proxy.', labelNames);
    this.#duration = histogram(
      'istio_request_duration_milliseconds',
      'Duration of requests in milliseconds.',
    );
    this.#requestBytes = histogram('istio_request_bytes', 'Size of requests in bytes.');
    this.#responseBytes = histogram('istio_response_bytes', 'Size of responses in bytes.');
    this.#tcpOpened = counter('istio_tcp_connections_opened_total', 'TCP connections opened.', PEER_LABELS);
    this.#tcpClosed = counter('istio_tcp_connections_closed_total', 'TCP connections closed.', PEER_LABELS);
    this.#tcpSent = counter(
      'istio_tcp_sent_bytes_total',
      'Bytes sent to the downstream peer of TCP connections.',
      PEER_LABELS,
    );
    this.#tcpReceived = counter(
      'istio_tcp_received_bytes_total',
      'Bytes received from the downstream peer of TCP connections.',
      PEER_LABELS,
    );
    this.#rbacDenied = counter(
      RBAC_DENIED_METRIC,
      'Requests and connections denied by an RBAC policy, by deciding policy; shadow="true" counts dry-run denials that were let through.',
      ['policy', 'filter', 'shadow'],
    );
  }

  /** Records one finished HTTP or gRPC request. */
  recordRequest(request: RequestTelemetry): void {
    const labels: Record<RequestLabel, string> = {
      ...callLabels(request, request.requestProtocol),
      response_code: String(request.responseCode),
      grpc_response_status: request.grpcStatus === undefined ? '' : String(request.grpcStatus),
    };
    this.#requests.inc(labels);
    // Envoy records whole milliseconds (absl duration / 1ms), so sub-millisecond requests land in
    // the first bucket exactly as with Envoy.
    this.#duration.observe(labels, Math.floor(request.durationMs));
    this.#requestBytes.observe(labels, request.requestBytes);
    this.#responseBytes.observe(labels, request.responseBytes);
  }

  /** A TCP connection was opened (Istio counts it once the peer is known or the connection ends). */
  tcpOpened(connection: ConnectionTelemetry): void {
    this.#tcpOpened.inc(callLabels(connection, 'tcp'));
  }

  tcpClosed(connection: ConnectionTelemetry): void {
    this.#tcpClosed.inc(callLabels(connection, 'tcp'));
  }

  /**
   * Adds bytes moved since the last report: `sent` to the downstream peer, `received` from it.
   * Istio reports these periodically (every 5 s) and at close, not only at close, so long-lived
   * connections show up in rates.
   */
  tcpBytes(connection: ConnectionTelemetry, sent: number, received: number): void {
    const labels = callLabels(connection, 'tcp');
    this.#tcpSent.inc(labels, sent);
    this.#tcpReceived.inc(labels, received);
  }

  rbacDenied(denial: RbacDenial): void {
    this.#rbacDenied.inc({
      policy: denial.policy,
      filter: denial.filter,
      shadow: String(denial.shadow),
    });
  }

  /** The Prometheus text exposition of every metric, for `/stats/prometheus`. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` to serve `metricsText()` with. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

function callLabels(call: CallTelemetry, protocol: string): Record<PeerLabel, string> {
  const { source, destination, destinationService: service } = call;
  return {
    reporter: call.reporter,
    ...peerLabels('source', source),
    ...peerLabels('destination', destination),
    destination_service: orUnknown(service.host),
    destination_service_name: orUnknown(service.name),
    destination_service_namespace: orUnknown(service.namespace),
    request_protocol: protocol,
    response_flags: call.responseFlags === '' ? '-' : call.responseFlags,
    connection_security_policy: call.connectionSecurityPolicy,
  };
}

type Side = 'source' | 'destination';
type SideLabels<S extends Side> = Extract<
  PeerLabel,
  `${S}_${'workload' | 'workload_namespace' | 'principal' | 'app' | 'version' | 'canonical_service' | 'canonical_revision' | 'cluster'}`
>;

/** Label sets per peer object: the reporter reuses peer objects, so each is built once. */
const peerLabelCache = {
  source: new WeakMap<PeerTelemetry, object>(),
  destination: new WeakMap<PeerTelemetry, object>(),
};

function peerLabels<S extends Side>(side: S, peer: PeerTelemetry): Record<SideLabels<S>, string> {
  const cached = peerLabelCache[side].get(peer);
  if (cached) return cached as Record<SideLabels<S>, string>;
  const labels = {
    [`${side}_workload`]: orUnknown(peer.workload),
    [`${side}_workload_namespace`]: orUnknown(peer.namespace),
    [`${side}_principal`]: orUnknown(peer.principal),
    [`${side}_app`]: orUnknown(peer.app),
    [`${side}_version`]: orUnknown(peer.version),
    [`${side}_canonical_service`]: orUnknown(peer.canonicalService),
    [`${side}_canonical_revision`]: peer.canonicalRevision || DEFAULT_CANONICAL_REVISION,
    [`${side}_cluster`]: orUnknown(peer.cluster),
  };
  peerLabelCache[side].set(peer, labels);
  // Computed keys widen to `string`; the eight keys above are exactly SideLabels<S>.
  return labels as Record<SideLabels<S>, string>;
}

function orUnknown(value: string): string {
  return value === '' ? 'unknown' : value;
}
