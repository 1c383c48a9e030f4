import { normalizeRequestPath } from '@mesh/policy';

import { evaluateEnvoyRbac, type EnvoyRbacConfig, type EnvoyRbacRequest } from './rbac-engine.js';

/**
 * The RBAC filters of one filter chain or HTTP manager, run as Envoy runs them (in order, the first
 * denial stops the request), and the path Envoy authorizes on. The simulation and the proxy both
 * call these, so `meshctl` explains exactly what the proxy enforces.
 */

export interface RbacOutcome {
  decision: 'ALLOW' | 'DENY';
  /** The policy that decided: the DENY rule that denied or the ALLOW rule that allowed. */
  policy?: string;
  /** The AUDIT (RBAC `LOG`) rule that marked the request, if any. */
  audit?: string;
  /** Shadow (dry-run) results of the filters the request reached. */
  shadow?: { action: string; policy?: string; effect: 'allowed' | 'denied' }[];
}

/**
 * Runs the configs of a chain's (or manager's) RBAC filters in order until one denies; reports the
 * deciding policy and the shadow results. Undefined when there are none.
 */
export function runRbacFilters(
  rbac: readonly EnvoyRbacConfig[],
  request: EnvoyRbacRequest,
): RbacOutcome | undefined {
  if (rbac.length === 0) return undefined;
  const outcome: RbacOutcome = { decision: 'ALLOW' };
  const shadow: NonNullable<RbacOutcome['shadow']> = [];
  for (const config of rbac) {
    const result = evaluateEnvoyRbac(config, request);
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

/** How an HTTP manager normalizes `:path` before routing and RBAC (`normalize_path`, `merge_slashes`). */
export type PathNormalization = 'none' | 'BASE' | 'MERGE_SLASHES';

export function pathNormalizationOf(hcm: Record<string, unknown>): PathNormalization {
  const normalize = (hcm['normalize_path'] as { value?: boolean } | undefined)?.value === true;
  const merge = hcm['merge_slashes'] === true;
  return merge ? 'MERGE_SLASHES' : normalize ? 'BASE' : 'none';
}

/** The path Envoy matches and authorizes on; undefined when normalization rejects it (400). */
export function managedPath(normalization: PathNormalization, path: string): string | undefined {
  if (normalization === 'none') return path;
  const q = path.search(/[?#]/);
  const normalized = normalizeRequestPath(path, normalization);
  return normalized.ok ? normalized.path + (q < 0 ? '' : path.slice(q)) : undefined;
}
