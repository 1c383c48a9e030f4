import { annotationsOf, labelsOf, list, record, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/** Labels that decide a namespace's data plane: sidecar injection, a revision's, or ambient. */
const DATA_PLANE_LABELS = ['istio-injection', 'istio.io/rev', 'istio.io/dataplane-mode'];

/** Namespaces that are never injected (the control plane's, Kubernetes' own). */
const NOT_INJECTED = new Set([
  'istio-system',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
]);

const SIDECAR_INJECT = 'sidecar.istio.io/inject';

/**
 * Istio's `injection.Analyzer`, for the Namespaces of the files: one that says nothing about its data
 * plane (no injection, revision or ambient label) gets no sidecars (IST0102). Its pod check (IST0103,
 * a running pod of an injected namespace without its proxy) needs running pods: a Pod with
 * `status.phase: Running` (read from a cluster or a local mesh). Manifests are injected when applied,
 * so a pod without that status never shows a proxy and is not checked.
 */
export function analyzeNamespaceInjection(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  for (const namespace of ctx.ofKind('Namespace')) {
    if (NOT_INJECTED.has(namespace.name)) continue;
    const labels = labelsOf(namespace);
    if (DATA_PLANE_LABELS.some((label) => label in labels)) continue;
    messages.push(
      newMessage(
        'NamespaceNotInjected',
        namespace,
        `The namespace is not enabled for Istio injection. Run 'kubectl label namespace ${namespace.name} ` +
          `istio-injection=enabled' to enable it, or 'kubectl label namespace ${namespace.name} ` +
          "istio-injection=disabled' to explicitly mark it as not needing injection.",
        'metadata.name',
      ),
    );
  }
  return [...messages, ...podsMissingProxy(ctx)];
}

/** IST0103, as Istio's: not for a pod that opts out or uses the host network. */
function podsMissingProxy(ctx: AnalysisContext): AnalysisMessage[] {
  const injected = new Set(
    ctx
      .ofKind('Namespace')
      .filter((ns) => labelsOf(ns)['istio-injection'] === 'enabled' || 'istio.io/rev' in labelsOf(ns))
      .map((ns) => ns.name),
  );
  return ctx
    .ofKind('Pod')
    .filter((pod) => {
      if (!injected.has(pod.namespace)) return false;
      if (record(pod.object['status'])['phase'] !== 'Running') return false;
      const optOut = labelsOf(pod)[SIDECAR_INJECT] ?? annotationsOf(pod)[SIDECAR_INJECT];
      if (optOut?.toLowerCase() === 'false') return false;
      const spec = record(pod.object['spec']);
      if (spec['hostNetwork'] === true) return false;
      const containers = [...list(spec['containers']), ...list(spec['initContainers'])];
      return !containers.some((c) => record(c)['name'] === 'istio-proxy');
    })
    .map((pod) =>
      newMessage(
        'PodMissingProxy',
        pod,
        `The pod ${pod.name} is missing the Istio proxy. This can often be resolved by restarting or ` +
          'redeploying the workload.',
        'metadata.name',
      ),
    );
}
