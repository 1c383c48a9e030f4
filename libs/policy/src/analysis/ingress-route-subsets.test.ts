import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { SERVICES } from '../../test/support/analysis-fixtures.js';

const ingress = (gateways: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: edge
  namespace: default
spec:
  hosts: [reviews.example.com]
  gateways: [${gateways}]
  http:
  - route:
    - destination: {host: reviews}
`;

const CANARY = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
`;

describe('virtualservice.DestinationHostAnalyzer (IST0140)', () => {
  runAnalysisCases(
    ['IST0140'],
    [
      {
        name: 'an ingress route to a host that the mesh splits by subsets is reported',
        files: { 'svc.yaml': SERVICES, 'edge.yaml': ingress('istio-system/public'), 'canary.yaml': CANARY },
        expect: [
          'Warning [IST0140] (VirtualService default/edge edge.yaml:11) Subset in virtual service default/reviews ' +
            'has no effect on ingress gateway default/edge requests',
        ],
      },
      {
        name: 'mesh-only routes, and hosts nobody splits, are not',
        files: {
          'svc.yaml': SERVICES,
          'edge.yaml': ingress('mesh'),
          'canary.yaml': CANARY,
          'other.yaml': ingress('istio-system/public')
            .replace('name: edge', 'name: other')
            .replace('host: reviews}', 'host: ratings, port: {number: 9080}}'),
        },
        expect: [],
      },
    ],
  );
});
