import { selectorMatches } from '../evaluation/workload-selection.js';
import { selectorString, specOf, type AnalysisContext } from './analysis-context.js';
import type { AnalysisResource } from './analysis-input.js';
import { goList, newMessage, quoted, type AnalysisMessage } from './messages.js';

/**
 * Istio's `telemetry.SelectorAnalyzer`, `telemetry.DefaultSelectorAnalyzer` and
 * `telemetry.ProviderAnalyzer`: a Telemetry's selector matches a pod of its namespace (IST0101), no pod
 * is selected by two Telemetries (IST0159), a namespace has at most one Telemetry that selects nothing
 * in particular (no selector, no targetRef: IST0160), and access logging without providers has a
 * mesh default to fall back on (IST0157). Selector checks need workloads in the files.
 */
export function analyzeTelemetrySelectors(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  const telemetriesOfPod = new Map<string, AnalysisResource[]>();
  const namespaceWide = new Map<string, AnalysisResource[]>();
  const defaultAccessLogging = (ctx.meshConfig.defaultProviders?.accessLogging ?? []).length > 0;
  for (const telemetry of ctx.ofKind('Telemetry')) {
    const spec = specOf(telemetry, 'Telemetry');
    if (!defaultAccessLogging && (spec.accessLogging ?? []).some((l) => (l.providers ?? []).length === 0))
      messages.push(
        newMessage(
          'InvalidTelemetryProvider',
          telemetry,
          `The Telemetry ${telemetry.name} in namespace ${quoted(telemetry.namespace)} with empty providers will be ignored.`,
          'spec.accessLogging',
        ),
      );
    const targeted = spec.targetRef !== undefined || (spec.targetRefs ?? []).length > 0;
    if (spec.selector === undefined && !targeted) {
      namespaceWide.set(telemetry.namespace, [...(namespaceWide.get(telemetry.namespace) ?? []), telemetry]);
      continue;
    }
    const labels = spec.selector?.matchLabels ?? {};
    const keys = Object.keys(labels).sort();
    if (keys.length === 0 || !ctx.workloadsKnown) continue;
    const selected = ctx
      .workloads()
      .filter(
        (w) => w.namespace === telemetry.namespace && selectorMatches({ matchLabels: labels }, w.labels),
      );
    if (selected.length === 0)
      messages.push(
        newMessage(
          'ReferencedResourceNotFound',
          telemetry,
          `Referenced selector not found: ${quoted(selectorString(labels))}`,
          `spec.selector.matchLabels.${keys[0]}`,
        ),
      );
    for (const workload of selected) {
      const key = `${workload.namespace}/${workload.name}`;
      telemetriesOfPod.set(key, [...(telemetriesOfPod.get(key) ?? []), telemetry]);
    }
  }
  for (const [pod, telemetries] of telemetriesOfPod) {
    if (telemetries.length < 2) continue;
    const [namespace, name] = pod.split('/') as [string, string];
    for (const telemetry of telemetries)
      messages.push(
        newMessage(
          'ConflictingTelemetryWorkloadSelectors',
          telemetry,
          `The Telemetries ${goList(telemetries.map((t) => t.name))} in namespace ${quoted(namespace)} select the ` +
            `same workload pod ${quoted(name)}, which can lead to undefined behavior.`,
          'metadata.name',
        ),
      );
  }
  for (const [namespace, telemetries] of namespaceWide) {
    if (telemetries.length < 2) continue;
    for (const telemetry of telemetries)
      messages.push(
        newMessage(
          'MultipleTelemetriesWithoutWorkloadSelectors',
          telemetry,
          `The Telemetries ${goList(telemetries.map((t) => t.name))} in namespace ${quoted(namespace)} have no ` +
            'workload selector, which can lead to undefined behavior.',
        ),
      );
  }
  return messages;
}
