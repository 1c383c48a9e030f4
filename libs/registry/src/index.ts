/**
 * @mesh/registry — the mesh's service registry and push context (README.md): services and endpoints
 * from the config `@mesh/policy` loads, exportTo and Sidecar scoping, and `MeshSnapshot`, the immutable
 * view every generator reads. No I/O: istiod and meshctl hand it the configs and workloads they hold.
 */

// Service registry model: services, their ports and endpoints, and the workloads behind them.
export {
  DEFAULT_DOMAIN_SUFFIX,
  endpointsOf,
  protocolOf,
  labelsMatch,
  resolveHost,
  serviceSelects,
  TLS_MODE_LABEL,
  type MeshEndpoint,
  type MeshService,
  type MeshServicePort,
  type WorkloadInstance,
} from './mesh-model.js';
export { buildRegistry } from './build-registry.js';
export { instancesFromEndpointSlices } from './endpoint-slices.js';

// Visibility: exportTo and the Sidecar resource's egress scope.
export { EXPORT_TO_ANNOTATION, isExportedTo, parseExportTo } from './export-to.js';
export {
  egressHostImports,
  listenerImports,
  hostMatches,
  parseEgressHost,
  scopeOutboundServices,
  selectSidecar,
  servicesVisibleFrom,
  type EgressHost,
  type ScopedWorkload,
  type SidecarRef,
} from './sidecar-scope.js';

// The immutable mesh snapshot (push context) generators read.
export { MeshSnapshot, type Namespaced } from './mesh-snapshot.js';
