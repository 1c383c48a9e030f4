import { type Static } from 'typebox';

import { WorkloadSelector } from '../common.js';
import { listOf, obj, opt, str, stringList, stringMap } from '../schema-helpers.js';
import { TrafficPolicy } from './traffic-policy.js';

/** `Subset`: a named set of a service's endpoints, selected by labels, with its own traffic policy. */
export const Subset = obj({
  name: str('Name of the subset.'),
  labels: opt(stringMap('Labels apply a filter over the endpoints of a service in the service registry.')),
  trafficPolicy: opt(TrafficPolicy),
});
export type Subset = Static<typeof Subset>;

/** DestinationRule (networking.istio.io): what happens to traffic after routing picked its destination. */
export const DestinationRuleSpec = obj(
  {
    host: str('The name of a service from the service registry.'),
    trafficPolicy: opt(TrafficPolicy),
    subsets: opt(listOf(Subset, 'One or more named sets that represent individual versions of a service.')),
    exportTo: opt(stringList('A list of namespaces to which this destination rule is exported.')),
    workloadSelector: opt(WorkloadSelector),
  },
  {
    description:
      'Configuration affecting load balancing, outlier detection, etc. See more details at: https://istio.io/docs/reference/config/networking/destination-rule.html',
  },
);
export type DestinationRuleSpec = Static<typeof DestinationRuleSpec>;
