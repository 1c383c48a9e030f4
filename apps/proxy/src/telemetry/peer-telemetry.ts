import type { PeerTelemetry } from './telemetry-types.js';

/**
 * Labels naming a workload's canonical service, most specific first
 * (Istio `pkg/kube/labels` `nameLabels`); the workload name is the last resort.
 */
export const CANONICAL_NAME_LABELS = [
  'service.istio.io/canonical-name',
  'app.kubernetes.io/name',
  'app',
] as const;

/**
 * Labels naming a workload's canonical revision, most specific first
 * (Istio `pkg/kube/labels` `revisionLabels`); `latest` is the last resort.
 */
export const CANONICAL_REVISION_LABELS = [
  'service.istio.io/canonical-revision',
  'app.kubernetes.io/version',
  'version',
] as const;

/** Istio's canonical revision when no label names one. */
export const DEFAULT_CANONICAL_REVISION = 'latest';

/** What a proxy knows about a workload: its own from bootstrap, a peer's from metadata exchange. */
export interface WorkloadDescription {
  /** The workload (e.g. Deployment) name; `ISTIO_META_WORKLOAD_NAME`. */
  workloadName?: string;
  /** The namespace the workload runs in; the SPIFFE identity's namespace wins when both are known. */
  namespace?: string;
  labels?: Readonly<Record<string, string>>;
  /** The workload's SPIFFE identity (URI SAN of its certificate), when known. */
  identity?: string;
  /** The cluster ID (`ISTIO_META_CLUSTER_ID`). */
  cluster?: string;
}

/**
 * Derives the metric view of a workload the way Istio does: canonical service and revision from
 * the label precedence above, `app` and `version` from the labels of those names, and the namespace
 * from the identity when there is one (Istio trusts the certificate over self-reported metadata).
 * Unknown fields stay empty; the metrics turn them into `unknown`.
 */
export function peerTelemetryFromWorkload(workload: WorkloadDescription): PeerTelemetry {
  const labels = workload.labels ?? {};
  const workloadName = workload.workloadName ?? '';
  const principal = workload.identity ?? '';
  return {
    workload: workloadName,
    namespace: namespaceFromPrincipal(principal) ?? workload.namespace ?? '',
    principal,
    app: labels['app'] ?? '',
    version: labels['version'] ?? '',
    canonicalService: firstLabel(labels, CANONICAL_NAME_LABELS) ?? workloadName,
    canonicalRevision: firstLabel(labels, CANONICAL_REVISION_LABELS) ?? DEFAULT_CANONICAL_REVISION,
    cluster: workload.cluster ?? '',
  };
}

/** A peer nothing is known about (e.g. a plaintext client without metadata exchange). */
export function unknownPeer(): PeerTelemetry {
  return {
    workload: '',
    namespace: '',
    principal: '',
    app: '',
    version: '',
    canonicalService: '',
    canonicalRevision: '',
    cluster: '',
  };
}

/**
 * The namespace inside a principal `<trust-domain>/ns/<namespace>/sa/<sa>`, found as leniently as
 * Istio's stats filter finds it (the text after `/ns/` up to the next `/`), so that identities
 * that are not strict workload SPIFFE IDs still yield a namespace.
 */
export function namespaceFromPrincipal(principal: string): string | undefined {
  const marker = '/ns/';
  const start = principal.indexOf(marker);
  if (start < 0) return undefined;
  const rest = principal.slice(start + marker.length);
  const end = rest.indexOf('/');
  const namespace = end < 0 ? rest : rest.slice(0, end);
  return namespace === '' ? undefined : namespace;
}

function firstLabel(labels: Readonly<Record<string, string>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = labels[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
