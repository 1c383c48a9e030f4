/**
 * `@mesh/xds/envoy-filter`: the EnvoyFilter patch value check, an entry of its own so that the
 * validating commands import it without the codec, the ADS machinery or protobufjs (which it loads
 * only when a patch value is checked).
 */
export { checkEnvoyPatchValue } from './patch-value-check.js';
