/**
 * The TypeScript types of the Istio API, each derived with `Static<>` from the TypeBox schema that also
 * validates it and generates its CRD.
 */
export type {
  StringMatch,
  Percent,
  Destination,
  Headers,
  NetworkingWorkloadSelector,
  WorkloadSelector,
  PolicyTargetReference,
  ConnectionPoolSettings,
} from './common.js';
export type { Subset, DestinationRuleSpec } from './networking/destination-rule.js';
export type { EnvoyFilterSpec } from './networking/envoy-filter.js';
export type { ProxyConfigSpec } from './networking/proxy-config-resource.js';
export type { WasmPluginSpec } from './extensions/wasm-plugin.js';
export type { TrafficExtensionSpec } from './extensions/traffic-extension.js';
export type { Server, GatewaySpec } from './networking/gateway.js';
export type {
  HTTPMatchRequest,
  HTTPRouteDestination,
  HTTPRedirect,
  HTTPDirectResponse,
  HTTPRewrite,
  HTTPRetry,
  HTTPFaultInjection,
  CorsPolicy,
  HTTPRoute,
} from './networking/http-route.js';
export type { ServerTLSSettings, SidecarPort } from './networking/server-tls-settings.js';
export type { ServicePort, ServiceEntrySpec } from './networking/service-entry.js';
export type {
  IstioIngressListener,
  IstioEgressListener,
  OutboundTrafficPolicy,
  SidecarSpec,
} from './networking/sidecar.js';
export type {
  LoadBalancerSettings,
  OutlierDetection,
  ClientTLSSettings,
  PortTrafficPolicy,
  TrafficPolicy,
} from './networking/traffic-policy.js';
export type {
  RouteDestination,
  TLSMatchAttributes,
  L4MatchAttributes,
  TLSRoute,
  TCPRoute,
  VirtualServiceSpec,
} from './networking/virtual-service.js';
export type { WorkloadEntrySpec } from './networking/workload-entry.js';
export type { ReadinessProbe, WorkloadGroupSpec } from './networking/workload-group.js';
export type {
  Source,
  Operation,
  Condition,
  Rule,
  AuthorizationPolicySpec,
} from './security/authorization-policy.js';
export type { MutualTLS, PeerAuthenticationSpec } from './security/peer-authentication.js';
export type { JWTRule, RequestAuthenticationSpec } from './security/request-authentication.js';
export type {
  Tracing,
  MetricsOverrides,
  Metrics,
  AccessLogging,
  TelemetrySpec,
} from './telemetry/telemetry.js';
