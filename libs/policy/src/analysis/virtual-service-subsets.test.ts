import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { SERVICES } from '../../test/support/analysis-fixtures.js';

const rule = (namespace: string, host: string, subsets: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: ${namespace}
spec:
  host: ${host}
  subsets: [${subsets}]
`;

const vs = (namespace: string, host: string, subset: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: ${namespace}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: ${host}, subset: ${subset}}
`;

const V1 = '{name: v1, labels: {version: v1}}';

describe('virtualservice.DestinationRuleAnalyzer (IST0101 host+subset)', () => {
  runAnalysisCases(
    ['IST0101'],
    [
      {
        name: 'a subset the DestinationRule defines is found',
        files: {
          'svc.yaml': SERVICES,
          'dr.yaml': rule('default', 'reviews', V1),
          'vs.yaml': vs('default', 'reviews', 'v1'),
        },
        expect: [],
      },
      {
        name: 'a subset no DestinationRule defines is reported at the destination',
        files: {
          'svc.yaml': SERVICES,
          'dr.yaml': rule('default', 'reviews', V1),
          'vs.yaml': vs('default', 'reviews', 'v9'),
        },
        expect: [
          'Error [IST0101] (VirtualService default/reviews vs.yaml:10) Referenced host+subset in destinationrule not found: "reviews+v9"',
        ],
      },
      {
        name: 'short and fully qualified names of the same host match each other',
        files: {
          'svc.yaml': SERVICES,
          'dr.yaml': rule('default', 'reviews.default.svc.cluster.local', V1),
          'vs.yaml': vs('default', 'reviews', 'v1'),
        },
        expect: [],
      },
      {
        name: 'a DestinationRule in another namespace for the FQDN counts',
        files: {
          'svc.yaml': SERVICES,
          'dr.yaml': rule('other', 'reviews.default.svc.cluster.local', V1),
          'vs.yaml': vs('default', 'reviews', 'v1'),
        },
        expect: [],
      },
      {
        name: 'a DestinationRule for a short name of another namespace is another host',
        files: {
          'svc.yaml': SERVICES,
          'dr.yaml': rule('other', 'reviews', V1),
          'vs.yaml': vs('default', 'reviews', 'v1'),
        },
        expect: [
          'Error [IST0101] (VirtualService default/reviews vs.yaml:10) Referenced host+subset in destinationrule not found: "reviews+v1"',
        ],
      },
      {
        name: 'a destination without a subset needs no DestinationRule',
        files: {
          'svc.yaml': SERVICES,
          'vs.yaml': vs('default', 'reviews', 'v1').replace(', subset: v1', ''),
        },
        expect: [],
      },
    ],
  );
});
