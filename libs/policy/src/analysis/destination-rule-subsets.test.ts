import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { DEPLOYMENTS, SERVICES } from '../../test/support/analysis-fixtures.js';

const rule = (host: string, subsets: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: default
spec:
  host: ${host}
  subsets:
${subsets}`;

const subset = (version: string) => `  - name: ${version}\n    labels: {version: ${version}}\n`;

describe('destinationrule.SubsetSelectPodAnalyzer (IST0173, IST0174)', () => {
  runAnalysisCases(
    ['IST0173', 'IST0174'],
    [
      {
        name: 'subsets selecting Deployment pods are fine',
        files: {
          'svc.yaml': SERVICES,
          'deploy.yaml': DEPLOYMENTS,
          'dr.yaml': rule('reviews', subset('v1') + subset('v2')),
        },
        expect: [],
      },
      {
        name: 'a subset no pod carries the labels of is reported at its name',
        files: {
          'svc.yaml': SERVICES,
          'deploy.yaml': DEPLOYMENTS,
          'dr.yaml': rule('reviews', subset('v1') + subset('v3')),
        },
        expect: [
          'Error [IST0173] (DestinationRule default/reviews dr.yaml:11) The Subset v3 defined in the DestinationRule ' +
            'does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
        ],
      },
      {
        name: 'files without any workload say nothing about subsets',
        files: { 'svc.yaml': SERVICES, 'dr.yaml': rule('reviews', subset('v3')) },
        expect: [],
      },
      {
        name: 'a host that is no service is reported, and its subsets are not checked',
        files: { 'deploy.yaml': DEPLOYMENTS, 'dr.yaml': rule('reviewz', subset('v3')) },
        expect: [
          'Warning [IST0174] (DestinationRule default/reviews dr.yaml:7) The host reviewz defined in the DestinationRule ' +
            'does not match any services in the mesh.',
        ],
      },
    ],
  );
});
