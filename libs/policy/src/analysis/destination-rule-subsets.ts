import { selectorMatches } from '../evaluation/workload-selection.js';
import { specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';
import { lookupHost, serviceHosts } from './service-hosts.js';

/**
 * Istio's `destinationrule.SubsetSelectPodAnalyzer`: a DestinationRule's host is a known service
 * (IST0174), and each of its subsets selects at least one pod (IST0173: traffic routed to an empty
 * subset fails with 503 UH). A subset selects the pods carrying its labels and, for a ServiceEntry
 * host, the entry's workload selector. Pods are those of the files, Deployments and other
 * controllers included; files with no workload at all say nothing about pods, so IST0173 is not
 * reported then.
 */
export function analyzeDestinationRuleSubsets(ctx: AnalysisContext): AnalysisMessage[] {
  const hosts = serviceHosts(ctx);
  const messages: AnalysisMessage[] = [];
  for (const dr of ctx.ofKind('DestinationRule')) {
    const spec = specOf(dr, 'DestinationRule');
    const host = spec.host ?? '';
    const service = lookupHost(hosts, dr.namespace, spec.exportTo ?? [], host);
    if (service === undefined) {
      messages.push(
        newMessage(
          'UnknownDestinationRuleHost',
          dr,
          `The host ${host} defined in the DestinationRule does not match any services in the mesh.`,
          'spec.host',
        ),
      );
      continue;
    }
    if (!ctx.workloadsKnown) continue;
    (spec.subsets ?? []).forEach((subset, index) => {
      const selector = { ...service.workloadSelector, ...(subset.labels ?? {}) };
      if (ctx.workloads().some((w) => selectorMatches({ matchLabels: selector }, w.labels))) return;
      messages.push(
        newMessage(
          'DestinationRuleSubsetNotSelectPods',
          dr,
          `The Subset ${subset.name ?? ''} defined in the DestinationRule does not select any pods. ` +
            'Which may lead to 503 UH (NoHealthyUpstream).',
          `spec.subsets[${index}].name`,
        ),
      );
    });
  }
  return messages;
}
