export { CAPTURE_ERROR_CODES, CaptureError, type CaptureErrorCode } from './capture-error.js';
export {
  DEFAULT_CAPTURE_OPTIONS,
  PROXY_PORTS_EXCLUDED_AFTER,
  PROXY_PORTS_EXCLUDED_BEFORE,
  resolveCaptureOptions,
  type CaptureOptions,
  type ResolvedCaptureOptions,
} from './capture-options.js';
export {
  iptablesCommandFor,
  iptablesRestoreCommandFor,
  type IptablesRule,
  type IptablesRuleSet,
} from './iptables-rules.js';
export { ISTIO_CHAINS, istioCaptureRules, istioCleanupRules } from './istio-iptables.js';
export { originalDestination, type OriginalDestination } from './original-destination.js';
