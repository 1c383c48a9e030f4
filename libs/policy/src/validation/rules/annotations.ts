import type { IstioKindName } from '../../api-kinds.js';
import type { FindingCollector } from '../collector.js';
import { field } from '../../field-paths.js';

/**
 * The annotations Istio's webhook checks on every Istio resource before its spec (Istio's
 * `pkg/config/validation/validation.go` `validateMetadata` and `checkDryRunAnnotation`).
 */

const DRY_RUN = 'istio.io/dry-run';

/**
 * Annotations Istio sets on the resources it generates itself (from Gateway API objects). A user
 * resource carrying one could claim another namespace's privileges, so the webhook refuses them; other
 * `internal.istio.io/` annotations only adjust how Istio reads a resource and are accepted.
 */
const RESERVED: Readonly<Record<string, string>> = {
  'internal.istio.io/webhook-always-reject': 'annotation found, rejecting',
  'internal.istio.io/parents': 'annotation found, this may not be set by users',
  'internal.istio.io/parent-namespace': 'annotation found, this may not be set by users',
};

/** What Go's `strconv.ParseBool` accepts, which is how Istio reads the dry-run flag. */
const GO_BOOLEANS = new Set([
  '1',
  't',
  'T',
  'TRUE',
  'true',
  'True',
  '0',
  'f',
  'F',
  'FALSE',
  'false',
  'False',
]);

export function checkIstioAnnotations(
  kind: IstioKindName,
  annotations: Readonly<Record<string, unknown>> | undefined,
  spec: unknown,
  c: FindingCollector,
): void {
  const at = (name: string) => field('metadata.annotations', name);
  const dryRun = annotations?.[DRY_RUN];
  if (dryRun !== undefined) {
    const action = (spec as { action?: string } | undefined)?.action ?? 'ALLOW';
    if (kind !== 'AuthorizationPolicy')
      c.error('ANNOTATION_INVALID', at(DRY_RUN), `unsupported annotation ${DRY_RUN}, please remove it`);
    else if (action !== 'ALLOW' && action !== 'DENY')
      c.error(
        'ANNOTATION_INVALID',
        at(DRY_RUN),
        `the annotation ${DRY_RUN} currently only supports action ALLOW/DENY, found action ${action}`,
      );
    else if (typeof dryRun !== 'string' || !GO_BOOLEANS.has(dryRun))
      c.error(
        'ANNOTATION_INVALID',
        at(DRY_RUN),
        `annotation ${DRY_RUN} has an invalid value ${JSON.stringify(dryRun)}: use "true" or "false"`,
      );
  }
  for (const [name, reason] of Object.entries(RESERVED)) {
    if (annotations?.[name] !== undefined) c.error('ANNOTATION_INVALID', at(name), `"${name}" ${reason}`);
  }
}
