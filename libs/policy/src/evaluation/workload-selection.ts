import type { ObjectMeta } from '../api/kubernetes/object-meta.js';
import type { PolicyTargetReference, WorkloadSelector } from '../api/common.js';

/**
 * Which security policies reach a workload, and in what order Istio considers them. Shared by the
 * PeerAuthentication and AuthorizationPolicy evaluators so both read scope exactly as istiod does
 * (`pilot/pkg/model/policyattachment.go`, `sortConfigByCreationTime` in `pilot/pkg/model`).
 */

/** Istio's default `meshConfig.rootNamespace`: policies there apply to the whole mesh. */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

/** The label a Gateway API gateway's pods carry; it is how `targetRef: Gateway` finds them. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** The GatewayClass of waypoints; a root-namespace policy targeting it applies to every waypoint. */
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';

/** The workload a policy may apply to: where it runs and what it is. */
export interface PolicyWorkload {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** Waypoints take policies only through `targetRef(s)`, never through selectors. */
  isWaypoint?: boolean;
  /** Services the workload serves (used by waypoints for `targetRef: Service | ServiceEntry`). */
  services?: readonly { name: string; namespace: string; registry: 'Kubernetes' | 'External' }[];
  /** Classic `networking.istio.io` Gateways the workload is an instance of (they carry no label). */
  gateways?: readonly { name: string; namespace: string }[];
}

/** Name and namespace of a policy, as `meshctl` prints it (`<name>.<namespace>`). */
export interface PolicyRef {
  namespace: string;
  name: string;
}

/** The part of a policy resource the scope rules read. */
export interface ScopedPolicy {
  metadata: ObjectMeta;
  spec: {
    selector?: WorkloadSelector;
    targetRef?: PolicyTargetReference;
    targetRefs?: PolicyTargetReference[];
  };
}

export function policyRef(policy: { metadata: ObjectMeta }): PolicyRef {
  return { namespace: policy.metadata.namespace ?? '', name: policy.metadata.name ?? '' };
}

/** `matchLabels` ⊆ `labels`; an absent or empty selector selects everything. */
export function selectorMatches(
  selector: WorkloadSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** Whether a selector narrows anything: Istio treats `selector: {}` like no selector at all. */
export function hasSelectorLabels(selector: WorkloadSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length > 0;
}

function creationTime(meta: ObjectMeta): number {
  // Objects read from local files have no timestamp; Go's zero time sorts them first, as here.
  const parsed = meta.creationTimestamp === undefined ? Number.NaN : Date.parse(meta.creationTimestamp);
  return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Istio's order for policies of one kind: oldest `creationTimestamp` first, then by name, then by
 * namespace. Timestamps have one-second resolution, so equal times are common and the name decides.
 */
export function compareByCreation(a: { metadata: ObjectMeta }, b: { metadata: ObjectMeta }): number {
  const byTime = creationTime(a.metadata) - creationTime(b.metadata);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime < 0 ? -1 : 1;
  return (
    compareStrings(a.metadata.name ?? '', b.metadata.name ?? '') ||
    compareStrings(a.metadata.namespace ?? '', b.metadata.namespace ?? '')
  );
}

/**
 * The policies istiod looks at for a workload: those of the root namespace, then those of the
 * workload's own namespace (once, when they are the same), each in {@link compareByCreation} order.
 */
export function policiesInScope<P extends { metadata: ObjectMeta }>(
  policies: readonly P[],
  workloadNamespace: string,
  rootNamespace: string,
): P[] {
  const namespaces =
    workloadNamespace === rootNamespace ? [rootNamespace] : [rootNamespace, workloadNamespace];
  return namespaces.flatMap((namespace) =>
    policies.filter((policy) => policy.metadata.namespace === namespace).sort(compareByCreation),
  );
}

const CORE_GROUP = 'core';

function groupKindMatches(ref: PolicyTargetReference, group: string, kind: string): boolean {
  const refGroup = ref.group === undefined || ref.group === '' ? CORE_GROUP : ref.group;
  return refGroup === group && ref.kind === kind;
}

function targetRefsOf(spec: ScopedPolicy['spec']): readonly PolicyTargetReference[] {
  if (spec.targetRefs !== undefined && spec.targetRefs.length > 0) return spec.targetRefs;
  return spec.targetRef === undefined ? [] : [spec.targetRef];
}

/**
 * Istio's `WorkloadPolicyMatcher.ShouldAttachPolicy` for a policy already known to be in scope
 * ({@link policiesInScope}). Sidecars use `selector` and ignore any policy with `targetRef(s)`;
 * Gateway API gateways and waypoints attach through `targetRef(s)` (gateways still honour selectors,
 * istiod's `PILOT_ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY` default; waypoints never do).
 */
export function policyAttaches(
  policy: ScopedPolicy,
  workload: PolicyWorkload,
  rootNamespace: string,
): boolean {
  const { namespace } = policyRef(policy);
  const targetRefs = targetRefsOf(policy.spec);
  const classicGateway = targetRefs.some(
    (ref) =>
      groupKindMatches(ref, 'networking.istio.io', 'Gateway') &&
      (workload.gateways ?? []).some(
        (gw) =>
          gw.name === ref.name &&
          gw.namespace === namespace &&
          (ref.namespace === undefined || ref.namespace === '' || ref.namespace === gw.namespace),
      ),
  );
  if (classicGateway) return true;

  const gatewayName = workload.labels[GATEWAY_NAME_LABEL];
  if (gatewayName === undefined) {
    return targetRefs.length === 0 && selectorMatches(policy.spec.selector, workload.labels);
  }
  if (targetRefs.length === 0) {
    return workload.isWaypoint !== true && selectorMatches(policy.spec.selector, workload.labels);
  }
  return targetRefs.some((ref) => {
    if (workload.isWaypoint === true) {
      const registry = groupKindMatches(ref, CORE_GROUP, 'Service')
        ? 'Kubernetes'
        : groupKindMatches(ref, 'networking.istio.io', 'ServiceEntry')
          ? 'External'
          : undefined;
      const service = (workload.services ?? []).some(
        (svc) => svc.registry === registry && svc.name === ref.name && svc.namespace === namespace,
      );
      if (service) return true;
      const waypointClass =
        namespace === rootNamespace &&
        groupKindMatches(ref, 'gateway.networking.k8s.io', 'GatewayClass') &&
        ref.name === WAYPOINT_GATEWAY_CLASS;
      if (waypointClass) return true;
    }
    // A targetRef only reaches a gateway in the policy's own namespace.
    if (workload.namespace !== namespace) return false;
    if (ref.namespace !== undefined && ref.namespace !== '' && ref.namespace !== workload.namespace)
      return false;
    return groupKindMatches(ref, 'gateway.networking.k8s.io', 'Gateway') && ref.name === gatewayName;
  });
}
