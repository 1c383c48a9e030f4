import type { DestinationRuleSpec } from '../../api/networking/destination-rule.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';
import { checkExportTo, checkLabels, checkWorkloadSelector } from './common.js';
import { checkSubsetName } from './destinations.js';
import { checkWildcardDomain } from './hosts.js';
import { checkTrafficPolicy } from './traffic-policy.js';

/** DestinationRule rules (Istio's `ValidateDestinationRule`): host, traffic policies, named subsets. */
export function checkDestinationRule(
  spec: DestinationRuleSpec,
  namespace: string,
  c: FindingCollector,
): void {
  c.check('HOST_INVALID', 'spec.host', checkWildcardDomain(spec.host));
  if (spec.trafficPolicy !== undefined) checkTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', c);
  const names = new Set<string>();
  spec.subsets?.forEach((subset, i) => {
    const at = item('spec.subsets', i);
    if (names.has(subset.name))
      c.error('SUBSET_INVALID', field(at, 'name'), `duplicate subset names: ${subset.name}`);
    names.add(subset.name);
    c.check('SUBSET_INVALID', field(at, 'name'), checkSubsetName(subset.name));
    checkLabels(subset.labels, field(at, 'labels'), c);
    if (subset.trafficPolicy !== undefined)
      checkTrafficPolicy(subset.trafficPolicy, field(at, 'trafficPolicy'), c);
  });
  checkExportTo(spec.exportTo, namespace, c, { workloadSelector: spec.workloadSelector !== undefined });
  checkWorkloadSelector(spec.workloadSelector, 'spec.workloadSelector', c);
}
