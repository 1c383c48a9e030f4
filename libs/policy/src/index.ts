/**
 * @mesh/policy — the Istio API (types, schemas, validation, CRDs) and, later, the pure evaluators built
 * on it. No I/O: callers read files and talk to servers.
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
export {
  validateLoadedResource,
  validateResource,
  type ValidateOptions,
  type ValidationResult,
} from './validation/validate-resource.js';
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

// CRDs of the `base` chart.
export { buildCrd, renderIstioCrds } from './crd/istio-crds.js';

// Config stores: the one interface istiod reads config through, and the in-memory store.
export {
  configKey,
  diffConfigs,
  type ConfigEvent,
  type ConfigStore,
  type ConfigStoreStatus,
  type StoredConfig,
} from './store/config-store.js';
export { MemoryConfigStore } from './store/memory-store.js';
