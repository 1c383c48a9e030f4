import { selectorMatches } from '../evaluation/workload-selection.js';
import { labelsOf, selectorString, specOf, type AnalysisContext } from './analysis-context.js';
import type { AnalysisResource } from './analysis-input.js';
import { goList, newMessage, quoted, type AnalysisMessage } from './messages.js';

/**
 * Istio's `sidecar.SelectorAnalyzer` and `sidecar.DefaultSelectorAnalyzer`: a Sidecar's workload
 * selector matches a pod of its namespace (IST0101), no pod is selected by two Sidecars (IST0110),
 * and a namespace has at most one Sidecar without a selector (IST0111): with two, which one applies
 * is undefined. In an ambient namespace, whose pods have no sidecar, such a Sidecar does nothing
 * (IST0167). Selector checks need workloads in the files (see AnalysisContext.workloadsKnown).
 */
export function analyzeSidecarSelectors(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  const sidecarsOfPod = new Map<string, AnalysisResource[]>();
  const withoutSelector = new Map<string, AnalysisResource[]>();
  for (const sidecar of ctx.ofKind('Sidecar')) {
    const labels = specOf(sidecar, 'Sidecar').workloadSelector?.labels ?? {};
    const keys = Object.keys(labels).sort();
    if (keys.length === 0) {
      withoutSelector.set(sidecar.namespace, [...(withoutSelector.get(sidecar.namespace) ?? []), sidecar]);
      continue;
    }
    if (!ctx.workloadsKnown) continue;
    const selected = ctx
      .workloads()
      .filter((w) => w.namespace === sidecar.namespace && selectorMatches({ matchLabels: labels }, w.labels));
    if (selected.length === 0)
      messages.push(
        newMessage(
          'ReferencedResourceNotFound',
          sidecar,
          `Referenced selector not found: ${quoted(selectorString(labels))}`,
          `spec.workloadSelector.labels.${keys[0]}`,
        ),
      );
    for (const workload of selected) {
      const key = `${workload.namespace}/${workload.name}`;
      sidecarsOfPod.set(key, [...(sidecarsOfPod.get(key) ?? []), sidecar]);
    }
  }
  for (const [pod, sidecars] of sidecarsOfPod) {
    if (sidecars.length < 2) continue;
    const [namespace, name] = pod.split('/') as [string, string];
    for (const sidecar of sidecars)
      messages.push(
        newMessage(
          'ConflictingSidecarWorkloadSelectors',
          sidecar,
          `The Sidecars ${goList(sidecars.map((s) => s.name))} in namespace ${quoted(namespace)} select the same ` +
            `workload pod ${quoted(name)}, which can lead to undefined behavior.`,
          'metadata.name',
        ),
      );
  }
  for (const [namespace, sidecars] of withoutSelector) {
    if (namespaceInAmbientMode(ctx, namespace)) {
      for (const sidecar of sidecars)
        messages.push(
          newMessage(
            'IneffectivePolicy',
            sidecar,
            'The policy has no impact: namespace is in ambient mode, the policy has no impact.',
          ),
        );
      continue;
    }
    if (sidecars.length < 2) continue;
    for (const sidecar of sidecars)
      messages.push(
        newMessage(
          'MultipleSidecarsWithoutWorkloadSelectors',
          sidecar,
          `The Sidecars ${goList(sidecars.map((s) => s.name))} in namespace ${quoted(namespace)} have no ` +
            'workload selector, which can lead to undefined behavior.',
          'metadata.name',
        ),
      );
  }
  return messages;
}

/** Istio's `NamespaceInAmbientMode`: labelled ambient, and neither injection nor a revision labelled. */
function namespaceInAmbientMode(ctx: AnalysisContext, name: string): boolean {
  const namespace = ctx.find('Namespace', '', name);
  if (namespace === undefined) return false;
  const labels = labelsOf(namespace);
  if (labels['istio-injection'] === 'enabled' || (labels['istio.io/rev'] ?? '') !== '') return false;
  return labels['istio.io/dataplane-mode'] === 'ambient';
}
