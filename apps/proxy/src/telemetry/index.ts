export {
  NO_RESPONSE_FLAGS,
  type CallTelemetry,
  type ConnectionSecurityPolicy,
  type ConnectionTelemetry,
  type DestinationServiceTelemetry,
  type PeerTelemetry,
  type RbacDenial,
  type RbacFilterKind,
  type Reporter,
  type RequestProtocol,
  type RequestTelemetry,
  type ResponseFlags,
} from './telemetry-types.js';
export {
  CANONICAL_NAME_LABELS,
  CANONICAL_REVISION_LABELS,
  DEFAULT_CANONICAL_REVISION,
  namespaceFromPrincipal,
  peerTelemetryFromWorkload,
  unknownPeer,
  type WorkloadDescription,
} from './peer-telemetry.js';
export {
  ENVOY_DEFAULT_BUCKETS,
  IstioMetrics,
  PEER_LABELS,
  RBAC_DENIED_METRIC,
  REQUEST_LABELS,
} from './istio-metrics.js';
export { DownstreamStats, listenerAddress } from './downstream-stats.js';
export {
  CertificateExpiryStats,
  daysUntilExpiration,
  servedCertificates,
  type ServedCertificates,
  type ServedCertificatesPem,
} from './certificate-expiry.js';
export { AccessLogWriter, formatAccessLogEntry, type AccessLogRecord } from './access-log.js';
export {
  formatB3Single,
  formatTraceparent,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
  type HeaderMap,
  type IncomingTrace,
  type SamplingOnly,
} from './trace-headers.js';
export {
  DEFAULT_SAMPLING_PERCENTAGE,
  TRACE_HEADERS,
  forwardTraceContext,
  uuidV4,
  type ForwardedTraceContext,
  type SpanContext,
  type TraceContextOptions,
} from './trace-context.js';
