import { normalizeRequestPath } from '@mesh/policy';

import { evaluateEnvoyRbac, type EnvoyRbacConfig, type EnvoyRbacRequest } from './envoy-rbac.js';
import type { EnvoyFilter, RbacOutcome } from './simulation-types.js';

/**
 * The RBAC filters of one filter chain or HTTP manager, run as Envoy runs them (in order, the first
 * denial stops the request), and the path Envoy authorizes on. The simulation and the proxy both
 * call these, so `meshctl` explains exactly what the proxy enforces.
 */

const RBAC_TYPES = new Set([
  'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
]);

/** Runs RBAC filters in order until one denies; reports the deciding policy and the shadow results. */
export function runRbacFilters(
  filters: readonly EnvoyFilter[],
  request: EnvoyRbacRequest,
): RbacOutcome | undefined {
  const rbac = filters.filter((f) => RBAC_TYPES.has(String(f.typed_config?.['@type'])));
  if (rbac.length === 0) return undefined;
  const outcome: RbacOutcome = { decision: 'ALLOW' };
  const shadow: NonNullable<RbacOutcome['shadow']> = [];
  for (const filter of rbac) {
    const result = evaluateEnvoyRbac(filter.typed_config as EnvoyRbacConfig, request);
    if (result.shadow !== undefined) {
      const { action, policy, allowed } = result.shadow;
      shadow.push({
        action,
        ...(policy === undefined ? {} : { policy }),
        effect: allowed ? 'allowed' : 'denied',
      });
    }
    const enforced = result.enforced;
    if (enforced?.action === 'LOG' && enforced.policy !== undefined) outcome.audit ??= enforced.policy;
    if (!result.allowed) {
      outcome.decision = 'DENY';
      if (enforced?.policy !== undefined) outcome.policy = enforced.policy;
      else delete outcome.policy;
      break;
    }
    if (enforced?.action === 'ALLOW' && enforced.policy !== undefined) outcome.policy = enforced.policy;
  }
  return shadow.length > 0 ? { ...outcome, shadow } : outcome;
}

/** The path Envoy matches and authorizes on, after the manager's own normalization. */
export function managedPath(hcm: Record<string, unknown>, path: string): string | undefined {
  const normalize = (hcm['normalize_path'] as { value?: boolean } | undefined)?.value === true;
  const merge = hcm['merge_slashes'] === true;
  if (!normalize && !merge) return path;
  const q = path.search(/[?#]/);
  const normalized = normalizeRequestPath(path, merge ? 'MERGE_SLASHES' : 'BASE');
  return normalized.ok ? normalized.path + (q < 0 ? '' : path.slice(q)) : undefined;
}
