import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';

const gateway = (
  name: string,
  namespace: string,
  port: number,
  hosts: string,
  selector = 'istio: ingressgateway',
) =>
  `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector: {${selector}}
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    hosts: [${hosts}]
`;

describe('gateway.ConflictingGatewayAnalyzer (IST0145)', () => {
  runAnalysisCases(
    ['IST0145'],
    [
      {
        name: 'one host on one port of the same gateway pods, from two namespaces, is reported on both',
        files: {
          'a.yaml': gateway('shop', 'default', 80, 'shop.example.com'),
          'b.yaml': gateway('shop-too', 'team', 80, "'*.example.com'"),
        },
        expect: [
          'Error [IST0145] (Gateway default/shop a.yaml:1) Conflict with gateways team/shop-too ' +
            '(workload selector istio=ingressgateway, port 80, hosts shop.example.com).',
          'Error [IST0145] (Gateway team/shop-too b.yaml:1) Conflict with gateways default/shop ' +
            '(workload selector istio=ingressgateway, port 80, hosts *.example.com).',
        ],
        options: { namespace: undefined },
      },
      {
        name: 'different ports, hosts or selectors do not conflict',
        files: {
          'a.yaml': gateway('a', 'default', 80, 'shop.example.com'),
          'b.yaml': gateway('b', 'default', 443, 'shop.example.com'),
          'c.yaml': gateway('c', 'default', 80, 'api.example.com'),
          'd.yaml': gateway('d', 'default', 80, 'shop.example.com', 'app: edge'),
        },
        expect: [],
      },
    ],
  );
});
