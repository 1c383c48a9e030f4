import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: web}]
`;

const service = (name: string, ports: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: default
spec:
  selector: {app: web}
  ports: [${ports}]
`;

describe('deployment.MultiServiceAnalyzer (IST0116, IST0137)', () => {
  runAnalysisCases(
    ['IST0116', 'IST0137'],
    [
      {
        name: 'two Services agreeing on ports and protocols are fine',
        files: {
          'deploy.yaml': DEPLOYMENT,
          'a.yaml': service('a', '{name: http, port: 80, targetPort: 8080}'),
          'b.yaml': service('b', '{name: http, port: 80, targetPort: 8080, protocol: TCP}'),
        },
        expect: [],
      },
      {
        name: 'one port with two protocols, one target port from two ports',
        files: {
          'deploy.yaml': DEPLOYMENT,
          'a.yaml': service(
            'a',
            '{name: dns, port: 53, protocol: UDP}, {name: http, port: 80, targetPort: 8080}',
          ),
          'b.yaml': service('b', '{name: dns, port: 53}, {name: http, port: 8080}'),
        },
        expect: [
          'Warning [IST0116] (Deployment default/web deploy.yaml:4) This deployment web is associated with multiple ' +
            'services using port 53 but different protocols: [default/a default/b]',
          'Warning [IST0137] (Deployment default/web deploy.yaml:4) This deployment web is associated with multiple ' +
            'services [default/a default/b] using targetPort "8080" but different ports: [80 8080].',
        ],
      },
      {
        name: 'a Deployment out of the mesh is not checked',
        files: {
          'deploy.yaml': DEPLOYMENT.replace(
            'labels: {app: web}',
            "labels: {app: web, sidecar.istio.io/inject: 'false'}",
          ),
          'a.yaml': service('a', '{name: dns, port: 53, protocol: UDP}'),
          'b.yaml': service('b', '{name: dns, port: 53}'),
        },
        expect: [],
      },
    ],
  );
});
