import type { FindingLevel } from './finding.js';

/**
 * The check of an EnvoyFilter patch `value` against the Envoy message its `applyTo` names (Istio's
 * `xds.BuildXDSObjectFromStruct` in `ValidateEnvoyFilter`). Envoy's protos live in libs/xds, which
 * this library may not import (DESIGN.md §4), so validation takes the check as a parameter: the
 * callers that validate as istiod does (istiod's config loading and webhook, `meshctl validate`,
 * `analyze`, `local apply`) pass libs/xds's `checkEnvoyPatchValue`. Without one, patch values go
 * unchecked, and the rest of the EnvoyFilter rules still apply.
 */

export interface EnvoyPatchValueProblem {
  /** Error: Istio refuses the resource. Warning: Istio accepts it and says why it may not work. */
  level: FindingLevel;
  /** Where inside the value: keys and list indexes; empty for the value itself. */
  path: readonly (string | number)[];
  message: string;
}

/** Checks `value` as the Envoy message of `applyTo` (`CLUSTER`, `HTTP_FILTER`, ...). */
export type EnvoyPatchValueChecker = (
  applyTo: string,
  value: Readonly<Record<string, unknown>>,
) => EnvoyPatchValueProblem[];

/** Checks validation takes from libraries it may not import. */
export interface ValidationChecks {
  checkEnvoyPatchValue?: EnvoyPatchValueChecker;
}
