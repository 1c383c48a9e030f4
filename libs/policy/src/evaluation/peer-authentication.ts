import type { PeerAuthentication } from '../api/resources.js';
import type { MutualTLS } from '../api/security/peer-authentication.js';
import {
  DEFAULT_ROOT_NAMESPACE,
  hasSelectorLabels,
  policiesInScope,
  policyRef,
  selectorMatches,
  type PolicyRef,
} from './workload-selection.js';

/**
 * The effective inbound mTLS mode of a workload, composed as Istio's `ComposePeerAuthentication`
 * (`pilot/pkg/security/authn`) does: start PERMISSIVE, then let the mesh policy (root namespace, no
 * selector), the namespace policy (no selector) and the workload policy (selector, not in the root
 * namespace) override in turn, where `UNSET` (or no `mtls`) inherits; port-level settings come from
 * the workload policy alone and `UNSET` there inherits the workload's mode. Several candidates at one
 * level: the oldest wins, equal timestamps are broken by name.
 */

/** A resolved mode: `UNSET` never survives composition. */
export type EffectiveMtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** The level of the precedence chain a policy sits at. */
export type PeerAuthenticationLevel = 'mesh' | 'namespace' | 'workload';

export interface PeerAuthenticationWorkload {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

export interface EffectivePeerAuthentication {
  /** The workload-wide mode (`Workload mTLS mode:` in `x describe`). */
  mode: EffectiveMtlsMode;
  /** Per target (container) port, from the workload policy's `portLevelMtls`. */
  portModes: Map<number, EffectiveMtlsMode>;
  /**
   * Every PeerAuthentication that selects the workload, root namespace first, as `istioctl x describe`
   * prints under `Applied PeerAuthentication:`. Includes policies that lost a tie or that Istio
   * ignores (a selector policy in the root namespace), exactly like istioctl.
   */
  applied: PolicyRef[];
  /** The policy that took effect at each level, including ones whose `UNSET` inherited. */
  levels: Partial<Record<PeerAuthenticationLevel, PolicyRef>>;
  /**
   * The policy whose mode `mode` is (the most specific level that sets one), or undefined when no
   * policy sets a mode and Istio's default PERMISSIVE applies. Port-level modes come from `levels.workload`.
   */
  modeSetBy?: PolicyRef;
}

export interface PeerAuthenticationOptions {
  /** `meshConfig.rootNamespace`; defaults to `istio-system`. */
  rootNamespace?: string;
}

/** Istio's default when no policy sets a mode: accept both mTLS and plaintext. */
export const DEFAULT_MTLS_MODE: EffectiveMtlsMode = 'PERMISSIVE';

/** The mode a `MutualTLS` sets, or `undefined` when it inherits (absent, or `UNSET`). */
function modeOf(mtls: MutualTLS | undefined): EffectiveMtlsMode | undefined {
  const mode = mtls?.mode;
  return mode === undefined || mode === 'UNSET' ? undefined : mode;
}

/** The level a policy applies at, or `undefined` when Istio ignores it for composition. */
export function peerAuthenticationLevel(
  policy: PeerAuthentication,
  rootNamespace: string = DEFAULT_ROOT_NAMESPACE,
): PeerAuthenticationLevel | undefined {
  const inRoot = policy.metadata.namespace === rootNamespace;
  if (!hasSelectorLabels(policy.spec.selector)) return inRoot ? 'mesh' : 'namespace';
  // "Workload-level configs should not be in root namespace ... they will be safely ignored."
  return inRoot ? undefined : 'workload';
}

/** Port keys are strings in YAML; anything that is not a valid port number cannot match a port. */
function parsePortKey(key: string): number | undefined {
  if (!/^\d+$/.test(key)) return undefined;
  const port = Number(key);
  return port <= 65535 ? port : undefined;
}

/**
 * Effective PeerAuthentication of `workload` given every PeerAuthentication in the mesh (policies
 * of unrelated namespaces are ignored, so callers may pass them all).
 */
export function effectivePeerAuthentication(
  policies: readonly PeerAuthentication[],
  workload: PeerAuthenticationWorkload,
  options: PeerAuthenticationOptions = {},
): EffectivePeerAuthentication {
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  // In scope and ordered oldest first, so the first candidate seen at a level is the winner.
  const matched = policiesInScope(policies, workload.namespace, rootNamespace).filter((policy) =>
    selectorMatches(policy.spec.selector, workload.labels),
  );

  const winners: Partial<Record<PeerAuthenticationLevel, PeerAuthentication>> = {};
  for (const policy of matched) {
    const level = peerAuthenticationLevel(policy, rootNamespace);
    if (level !== undefined && winners[level] === undefined) winners[level] = policy;
  }

  let mode = DEFAULT_MTLS_MODE;
  let modeSetBy: PeerAuthentication | undefined;
  for (const level of ['mesh', 'namespace', 'workload'] as const) {
    const set = modeOf(winners[level]?.spec.mtls);
    if (set === undefined) continue;
    mode = set;
    modeSetBy = winners[level];
  }

  const portModes = new Map<number, EffectiveMtlsMode>();
  for (const [key, mtls] of Object.entries(winners.workload?.spec.portLevelMtls ?? {})) {
    const port = parsePortKey(key);
    if (port !== undefined) portModes.set(port, modeOf(mtls) ?? mode);
  }

  const levels: EffectivePeerAuthentication['levels'] = {};
  for (const [level, policy] of Object.entries(winners) as [PeerAuthenticationLevel, PeerAuthentication][]) {
    levels[level] = policyRef(policy);
  }
  return {
    mode,
    portModes,
    applied: matched.map(policyRef),
    levels,
    ...(modeSetBy ? { modeSetBy: policyRef(modeSetBy) } : {}),
  };
}

/** The policy that decides the mode of one inbound target port (undefined: Istio's default). */
export function mtlsPolicyForPort(
  effective: EffectivePeerAuthentication,
  port: number,
): PolicyRef | undefined {
  return effective.portModes.has(port) ? effective.levels.workload : effective.modeSetBy;
}

/** The mode enforced on one inbound target port: its port-level mode, else the workload's. */
export function mtlsModeForPort(effective: EffectivePeerAuthentication, port: number): EffectiveMtlsMode {
  return effective.portModes.get(port) ?? effective.mode;
}
