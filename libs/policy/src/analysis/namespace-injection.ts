import { labelsOf, type AnalysisContext } from './analysis-context.js';
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

/**
 * Istio's `injection.Analyzer`, for the Namespaces of the files: one that says nothing about its data
 * plane (no injection, revision or ambient label) gets no sidecars (IST0102). Its pod checks (IST0103,
 * a running pod without its proxy) need running pods: manifests are injected when applied, so files
 * never show a proxy and are not checked.
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
  return messages;
}
