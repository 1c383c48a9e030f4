import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { SERVICES } from '../../test/support/analysis-fixtures.js';

const vs = (name: string, namespace: string, host: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  hosts: [${host}]${extra}
  http:
  - route:
    - destination: {host: reviews.default.svc.cluster.local}
`;

const CONFLICT =
  'The VirtualServices default/a,default/b associated with mesh gateway define the same host ' +
  '*/reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging ' +
  'the conflicting VirtualServices into a single resource.';

describe('virtualservice.ConflictingMeshGatewayHostsAnalyzer (IST0109)', () => {
  runAnalysisCases(
    ['IST0109'],
    [
      {
        name: 'two VirtualServices for one host on the mesh gateway are both reported',
        files: {
          'svc.yaml': SERVICES,
          'a.yaml': vs('a', 'default', 'reviews'),
          'b.yaml': vs('b', 'default', 'reviews.default.svc.cluster.local'),
        },
        expect: [
          `Error [IST0109] (VirtualService default/a a.yaml:4) ${CONFLICT}`,
          `Error [IST0109] (VirtualService default/b b.yaml:4) ${CONFLICT}`,
        ],
      },
      {
        name: 'one of them bound to a gateway only does not conflict',
        files: {
          'svc.yaml': SERVICES,
          'a.yaml': vs('a', 'default', 'reviews'),
          'b.yaml': vs('b', 'default', 'reviews', '\n  gateways: [istio-system/public]'),
        },
        expect: [],
      },
      {
        name: 'the same short name in two namespaces is two hosts',
        files: {
          'svc.yaml': SERVICES,
          'a.yaml': vs('a', 'default', 'reviews'),
          'b.yaml': vs('b', 'other', 'reviews'),
        },
        expect: [],
        options: { namespace: undefined },
      },
      {
        name: 'exported to different namespaces, they do not meet',
        files: {
          'svc.yaml': SERVICES,
          'a.yaml': vs('a', 'default', 'reviews', "\n  exportTo: ['.']"),
          'b.yaml': vs('b', 'default', 'reviews', "\n  exportTo: ['frontend']"),
        },
        expect: [],
      },
    ],
  );
});
