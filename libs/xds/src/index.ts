export { packAny, unpackAny, typeUrlOf, messageNameOf, type PackedAny } from './codec/any.js';
export { CANONICAL_FORM, MessageCodec, codecFor } from './codec/message-codec.js';
export { envoyRoot, envoyProtoIncludeDirs, messageType } from './codec/proto-root.js';
export { structToJson, jsonToStruct, type JsonValue, type ProtoStruct } from './codec/struct.js';
export { XdsError, type XdsErrorCode } from './errors.js';
export {
  TypeUrl,
  SHORT_NAMES,
  PUSH_ORDER,
  shortNameOf,
  comparePushOrder,
  type KnownTypeUrl,
} from './type-urls.js';

export { ListenerType, type Listener } from './resources/listener.js';
export { RouteConfigurationType, type RouteConfiguration } from './resources/route-configuration.js';
export { ClusterType, type Cluster } from './resources/cluster.js';
export {
  ClusterLoadAssignmentType,
  type ClusterLoadAssignment,
} from './resources/cluster-load-assignment.js';
export { SecretType, type Secret } from './resources/secret.js';
export { STANDARD_RESOURCE_TYPES, resourceTypeFor } from './resources/registry.js';
export { defineResourceType, type XdsResourceType } from './resources/resource-type.js';
export { IssueCollector, formatIssues, type ValidationIssue } from './resources/validation.js';

export type * from './protocol/discovery-messages.js';
export { adsServiceDefinition } from './protocol/ads-service.js';

export {
  AdsServer,
  startAdsServer,
  type AdsServerOptions,
  type PushChange,
  type RunningAdsServer,
} from './server/ads-server.js';
export { MemoryResourceSource } from './server/memory-resource-source.js';
export {
  prepareResource,
  versionOfSet,
  type PreparedResource,
  type ResourceRequest,
  type ResourceSource,
  type XdsConnection,
  type XdsNodeInfo,
} from './server/resource-source.js';
export {
  silentLogger,
  type AdsServerHooks,
  type ConnectionStatus,
  type PushRecord,
  type TypeStatus,
  type XdsLogger,
} from './server/server-hooks.js';

export {
  AdsClient,
  type AdsClientEvents,
  type AdsClientNode,
  type AdsClientOptions,
  type ResourceUpdate,
} from './client/ads-client.js';
export { Backoff, type BackoffOptions } from './client/backoff.js';
export type { DecodedResource } from './client/decode-response.js';
export type { ClientTypeStatus, HeldResource, NackRecord } from './client/type-state.js';

export { generateProxyless, type GenerationRequest } from './generation/proxyless-generator.js';
export {
  hostPortName,
  inboundClusterName,
  outboundClusterName,
  parseHostPort,
  parseOutboundClusterName,
} from './generation/resource-names.js';
export {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  isProxylessGrpc,
  meshSettingsOf,
  sidecarProxyOf,
  type InboundPort,
  type MeshSettings,
  type SidecarContext,
  type SidecarProxy,
} from './generation/sidecar/sidecar-context.js';
export { generateSidecar } from './generation/sidecar/sidecar-generator.js';
export { buildGatewayContext, type GatewayContext } from './generation/gateway/gateway-context.js';
export { generateGateway } from './generation/gateway/gateway-generator.js';
export {
  generateSidecarLocalClusters,
  generateSidecarOutboundClusters,
} from './generation/sidecar/clusters/sidecar-clusters.js';
export { generateSidecarLoadAssignments } from './generation/sidecar/clusters/sidecar-load-assignments.js';
export {
  parseFileSecretName,
  SYSTEM_ROOTS,
  type FileSecret,
} from './generation/sidecar/clusters/file-secret-names.js';
export {
  generateSidecarOwnListeners,
  generateSidecarSharedListeners,
} from './generation/sidecar/listeners/sidecar-listeners.js';
export { generateSidecarRoutes } from './generation/sidecar/routes/sidecar-routes.js';
export {
  prepareGenerated,
  preparedByName,
  SidecarServingCache,
  type GenerationErrorReporter,
  type NamedResources,
} from './generation/serving/sidecar-serving-cache.js';
export {
  generateSecrets,
  KUBERNETES_SECRET_PREFIX,
  type SecretGeneration,
  type SecretProxy,
} from './generation/secrets/credential-secrets.js';

// Envoy's data-plane semantics over xDS resources: the one implementation the proxy runs and the
// simulation explains with.
export type {
  EnvoyCluster,
  EnvoyFilter,
  EnvoyFilterChain,
  EnvoyLbEndpoint,
  EnvoyListener,
  EnvoyLoadAssignment,
  EnvoyRoute,
  EnvoyRouteConfiguration,
  EnvoyTransportSocket,
  EnvoyVirtualHost,
} from './envoy/envoy-resources.js';
export {
  filterConfig,
  filterConfigs,
  filterTypeOf,
  isTlsTransportSocket,
  KNOWN_FILTERS,
  knownFilterOf,
  TLS_TRANSPORT_SOCKET,
  type KnownFilter,
} from './envoy/known-filters.js';
export { durationMs } from './envoy/durations.js';
export { proxyConfig, routeTableOf, type ProxyConfig } from './envoy/proxy-config.js';
export {
  compiledFilterChain,
  filterChainsOf,
  httpConnectionManagerOf,
  type CompiledFilterChain,
  type HttpConnectionManager,
} from './envoy/compiled-filter-chains.js';
export {
  chainName,
  downstreamTlsOf,
  originalDestinationListener,
  selectFilterChain,
  type ConnectionFacts,
  type DownstreamTls,
} from './envoy/filter-chains.js';
export {
  compiledRouteTable,
  selectRoute,
  type CompiledRoute,
  type CompiledVirtualHost,
  type ForwardAction,
  type RouteAction,
  type RouteCluster,
  type RouteTable,
} from './envoy/route-table.js';
export type { FaultPolicy, HeaderMutation, RetryPolicy } from './envoy/route-actions.js';
export { redirectLocation, type Redirect } from './envoy/route-redirects.js';
export { ClusterChoice, type ClusterEntry } from './envoy/weighted-clusters.js';
export { edsServiceNameOf, loadAssignmentOf, transportSocketFor } from './envoy/upstream-clusters.js';
export { managedPath, runRbacFilters, type RbacOutcome } from './envoy/rbac-filters.js';
export { cidrContains, parseIp, type EnvoyCidrRange } from './envoy/addresses-and-metadata.js';
export {
  evaluateEnvoyRbac,
  evaluateRbacRules,
  matchesPermission,
  matchesPrincipal,
  type EnvoyPermission,
  type EnvoyPrincipal,
  type EnvoyRbacAction,
  type EnvoyRbacConfig,
  type EnvoyRbacEngineResult,
  type EnvoyRbacPolicy,
  type EnvoyRbacRequest,
  type EnvoyRbacResult,
  type EnvoyRbacRules,
} from './envoy/rbac-engine.js';
export {
  headerValues,
  matchesHeader,
  matchesString,
  re2ToRegExp,
  UnsupportedRegexError,
  type EnvoyHeaderMatcher,
  type EnvoyStringMatcher,
  type HeaderValues,
} from './envoy/matchers.js';

// The replay of a call through one proxy's generated config (Istio's `pilot/pkg/simulation`), for tests
// and diagnostics.
export { sidecarConfig, simulate } from './simulation/simulate.js';
export { requestHeaders } from './simulation/simulate-outbound.js';
export { upstreamTlsOf } from './simulation/cluster-endpoints.js';
export type {
  Call,
  HttpHeaders,
  InboundCall,
  InboundResult,
  OutboundCall,
  OutboundResult,
  SimulatedEndpoint,
  UpstreamTls,
} from './simulation/simulation-types.js';

// Diagnostics (`meshctl tls-check`, `meshctl authz check`): the generated config and the simulation,
// explained per client or per server.
export {
  tlsCheck,
  tlsConflict,
  type ClientTlsMode,
  type ServerTlsMode,
  type TlsCheckEndpoint,
  type TlsCheckReport,
  type TlsCheckRow,
  type TlsCheckStatus,
} from './diagnostics/tls-check.js';
export {
  appliedPolicies,
  authzCheck,
  parseRuleKey,
  type AppliedPolicy,
  type AuthzCheckReport,
  type AuthzDecision,
  type AuthzRequest,
  type RuleRef,
} from './diagnostics/authz-check.js';
export {
  describeWorkload,
  type DescribedDestinationRule,
  type DescribedService,
  type DescribedVirtualService,
  type WorkloadDescription,
} from './diagnostics/describe-workload.js';
