export {
  apiErrorReason,
  apiStatusOf,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isKubeStatus,
  isNotFound,
  isResourceExpired,
  STATUS_REASONS,
  type KubeStatus,
  type StatusCause,
  type StatusDetails,
  type StatusReason,
} from './api-status.js';
export { isKubeError, KUBE_ERROR_CODES, KubeError, type KubeErrorCode } from './errors.js';
export { loadKubeConfig, type LoadKubeConfigOptions } from './kube-config.js';
export {
  formatLabelSelector,
  isQualifiedName,
  isValidLabelValue,
  labelSelectorRequirements,
  matchesLabelRequirements,
  matchesLabelSelector,
  parseLabelSelector,
  type LabelRequirement,
  type Labels,
  type LabelSelectorObject,
  type LabelSelectorOperator,
} from './label-selector.js';
export {
  applyJsonPatch,
  applyMergePatch,
  applyObjectMergePatch,
  jsonEqual,
  parseJsonPointer,
  type JsonPatchOperation,
  type JsonValue,
} from './object-patches.js';
export {
  formatApiVersion,
  groupVersionPath,
  parseApiVersion,
  resourcePath,
  type GroupVersion,
  type GroupVersionKind,
  type GroupVersionResource,
  type ResourcePathOptions,
} from './resource-paths.js';
export {
  KubeConfigStore,
  type Clock,
  type KubeConfigStoreOptions,
} from './config-store/kube-config-store.js';
export { MESH_WATCHED_KINDS, type WatchedKind } from './config-store/watched-kinds.js';

// Sidecar injection: Istio's decision table and injected shape (webhook and kube-inject).
export * from './injection/index.js';
