/**
 * How findings and stale config are printed, on their own (`@mesh/policy/formatting`): for a reader
 * that shows what istiod reports without validating anything itself (`meshctl local status`), which
 * must not pay for loading the Istio schemas (~0.5 s of CPU) that the package's index brings.
 */
export { formatFinding, type Finding } from './validation/finding.js';
export { formatStale, type StaleConfig } from './store/config-store.js';
