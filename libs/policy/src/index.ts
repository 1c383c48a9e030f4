/**
 * @mesh/policy — the Istio API (types, schemas, validation, CRDs), the config loader, the evaluators
 * built on it and the config store interface (README.md); the registry and mesh snapshot built from it
 * are `@mesh/registry`. No I/O: callers read files and talk to servers.
 */

// API kinds and their CRD metadata.
export {
  ISTIO_KINDS,
  istioKindByName,
  istioKindOf,
  type IstioKind,
  type IstioKindName,
  type PrinterColumn,
} from './api-kinds.js';
export { KUBERNETES_KINDS, kubernetesKindOf, type KubernetesKind } from './api/kubernetes/kinds.js';

// Istio resource types (from the TypeBox schemas) and the schemas themselves.
export type * from './api/resources.js';
export { SPEC_SCHEMAS } from './api/spec-schemas.js';
export type * from './api/types.js';

// Kubernetes kinds the mesh reads.
export type * from './api/kubernetes/object-meta.js';
export type * from './api/kubernetes/service.js';
export { SERVICE_NAME_LABEL } from './api/kubernetes/service.js';
export type * from './api/kubernetes/workload.js';
export type * from './api/kubernetes/config.js';

// Loading and validation.
export { loadYaml, type LoadedResource, type LoadResult, type ResourceCategory } from './loader/load-yaml.js';
// The config loader istiod's file store, `meshctl validate` and `meshctl local status` share.
export {
  CONFIG_TREE_LISTING,
  configFilesIn,
  isConfigFileName,
  type DirectoryEntry,
} from './loader/config-files.js';
export {
  parseConfigFile,
  refuseOversizeFile,
  storedNamespace,
  type ParsedFile,
} from './loader/config-file.js';
export { ConfigTree, type FileInForce, type MergedConfig } from './loader/config-tree.js';
export {
  LAST_GOOD_FILE,
  parseLastGood,
  serializeLastGood,
  type SavedConfig,
} from './loader/last-good-copy.js';
export {
  validateLoadedResource,
  validateResource,
  type ValidateOptions,
  type ValidationResult,
} from './validation/validate-resource.js';
export type {
  EnvoyPatchValueChecker,
  EnvoyPatchValueProblem,
  ValidationChecks,
} from './validation/envoy-patch-value.js';
export { validateYaml, type YamlValidation } from './validate-yaml.js';
export {
  FINDING_CODES,
  findingOrigin,
  formatFinding,
  type Finding,
  type FindingCode,
  type FindingLevel,
  type SourceLocation,
} from './validation/finding.js';
export { parseDuration } from './validation/rules/primitives.js';
export { cipherSuiteNames, isValidEcdhCurve } from './validation/rules/tls-names.js';

// Configuration analysis: Istio's analyzers over a set of resources (`meshctl analyze`).
export {
  buildAnalysisInput,
  readAnalysisFile,
  refusedAnalysisFile,
  type AnalysisFile,
  type AnalysisInput,
  type AnalysisInputOptions,
  type AnalysisResource,
  type FileError,
} from './analysis/analysis-input.js';
export {
  ANALYZE_SUPPRESS_ANNOTATION,
  ANALYZERS,
  SCHEMA_ANALYZER,
  analyzeConfig,
  suppressionMatches,
  type Analyzer,
  type AnalyzeOptions,
  type Suppression,
} from './analysis/analyze.js';
export {
  ANALYSIS_LEVELS,
  ISTIO_ANALYSIS_CODES,
  MESSAGE_TYPES,
  documentationUrl,
  formatMessage,
  isAtLeast,
  originName,
  type AnalysisLevel,
  type AnalysisMessage,
  type AnalysisOrigin,
} from './analysis/messages.js';

// MeshConfig: Istio's mesh-wide settings, their defaults, validation and YAML parsing.
export {
  DEFAULT_MESH_CONFIG,
  type MeshConfig,
  type OutboundTrafficPolicyMode,
  type ResolvedMeshConfig,
} from './api/mesh/mesh-config.js';
export type { MeshTlsConfig, MeshTlsProtocol } from './api/mesh/mesh-tls-config.js';
export type { ProxyConfig } from './api/mesh/proxy-config.js';
export type { ExtensionProvider, ExtensionProviderKind } from './api/mesh/extension-provider.js';
export { validateMeshConfig, type MeshConfigValidation } from './validation/mesh-config.js';
export { parseMeshConfigYaml, refuseOversizeMeshConfig } from './loader/mesh-config-yaml.js';

// CRDs of the `base` chart.
export { buildCrd, renderIstioCrds } from './crd/istio-crds.js';

// Config stores: the one interface istiod reads config through, and the in-memory store.
export {
  configKey,
  diffConfigs,
  formatStale,
  type ConfigEvent,
  type ConfigStore,
  type ConfigStoreStatus,
  type StaleConfig,
  type StoredConfig,
} from './store/config-store.js';
export { CompositeConfigStore } from './store/composite-store.js';
export { ConfigIndex } from './store/config-index.js';
export { MemoryConfigStore } from './store/memory-store.js';

// Evaluators shared by istiod, the proxy and meshctl (DESIGN.md §3): effective mTLS and authorization.
export {
  DEFAULT_ROOT_NAMESPACE,
  GATEWAY_NAME_LABEL,
  WAYPOINT_GATEWAY_CLASS,
  compareByCreation,
  policiesInScope,
  policyAttaches,
  selectorMatches,
  type PolicyRef,
  type PolicyWorkload,
} from './evaluation/workload-selection.js';
export {
  DEFAULT_MTLS_MODE,
  effectivePeerAuthentication,
  mtlsModeForPort,
  mtlsPolicyForPort,
  peerAuthenticationLevel,
  type EffectiveMtlsMode,
  type EffectivePeerAuthentication,
  type PeerAuthenticationLevel,
  type PeerAuthenticationOptions,
  type PeerAuthenticationWorkload,
} from './evaluation/peer-authentication.js';
export {
  AUTHORIZATION_STAGE_ORDER,
  DRY_RUN_ANNOTATION,
  EXT_AUTHZ_RULE_PREFIX,
  buildAuthorizationModel,
  isDryRun,
  rbacPolicyName,
  type AuthorizationAction,
  type AuthorizationModel,
  type AuthorizationModelOptions,
  type AuthorizationPolicyModel,
  type AuthorizationRuleModel,
  type ExtAuthzProviderKind,
} from './evaluation/authorization-model.js';
export type { AuthorizationRequest } from './evaluation/authorization-request.js';
export {
  evaluateAuthorization,
  type AuthorizationDecision,
  type AuthorizationDecisionCode,
  type AuthorizationEvaluationOptions,
  type ExtAuthzCheck,
  type ShadowResult,
} from './evaluation/authorization-decision.js';
export { normalizeRequestPath, pathMatches, type PathNormalization } from './evaluation/http-path.js';
