import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { DEPLOYMENTS } from '../../test/support/analysis-fixtures.js';

const gateway = (selector: string, port: number) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
  namespace: default
spec:
  selector: {${selector}}
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    hosts: ['*']
`;

const CUSTOM_GATEWAY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: edge
  namespace: edge
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata:
      labels: {app: edge}
    spec:
      containers: [{name: istio-proxy, image: proxy}]
---
apiVersion: v1
kind: Service
metadata:
  name: edge
  namespace: edge
spec:
  selector: {app: edge}
  ports:
  - {name: http, port: 80, targetPort: 8080}
`;

describe('gateway.IngressGatewayPortAnalyzer (IST0101 selector, IST0162)', () => {
  runAnalysisCases(
    ['IST0101', 'IST0162'],
    [
      {
        name: "istioctl's default ingress gateway serves 80 and 443",
        files: {
          'a.yaml': gateway('istio: ingressgateway', 80),
          'b.yaml': gateway('istio: ingressgateway', 443).replace('name: public', 'name: tls'),
        },
        expect: [],
      },
      {
        name: 'a port the gateway Service does not map to is reported at the selector',
        files: { 'gw.yaml': gateway('istio: ingressgateway', 8080) },
        expect: [
          'Warning [IST0162] (Gateway default/public gw.yaml:7) The gateway is listening on a target port (port 8080) ' +
            'that is not defined in the Service associated with its workload instances (Pod selector istio=ingressgateway). ' +
            'If you need to access the gateway port through the gateway Service, it will not be available.',
        ],
      },
      {
        name: "a gateway Deployment's Service target port is the port the gateway listens on",
        files: {
          'edge.yaml': CUSTOM_GATEWAY,
          'a.yaml': gateway('app: edge', 8080),
          'b.yaml': gateway('app: edge', 80).replace('name: public', 'name: b'),
        },
        expect: [
          'Warning [IST0162] (Gateway default/b b.yaml:7) The gateway is listening on a target port (port 80) ' +
            'that is not defined in the Service associated with its workload instances (Pod selector app=edge). ' +
            'If you need to access the gateway port through the gateway Service, it will not be available.',
        ],
      },
      {
        name: 'a selector no pod matches is reported when the files describe workloads',
        files: { 'deploy.yaml': DEPLOYMENTS, 'gw.yaml': gateway('app: edge', 80) },
        expect: [
          'Error [IST0101] (Gateway default/public gw.yaml:7) Referenced selector not found: "app=edge"',
        ],
      },
      {
        name: 'and not when they describe none',
        files: { 'gw.yaml': gateway('app: edge', 80) },
        expect: [],
      },
    ],
  );
});
