import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';

const pod = (security: string, labels = '{app: web}') => `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels: ${labels}
spec:
${security}`;

const MESSAGE = 'User ID (UID) 1337 is reserved for the sidecar proxy.';

describe('applicationUID.Analyzer (IST0144)', () => {
  runAnalysisCases(
    ['IST0144'],
    [
      {
        name: 'UID 1337 for the pod or an application container is reported at runAsUser',
        files: {
          'pod.yaml': pod(
            '  securityContext: {runAsUser: 1337}\n  containers:\n  - name: web\n    image: web\n    securityContext:\n      runAsUser: 1337\n',
          ),
        },
        expect: [
          `Warning [IST0144] (Pod default/web pod.yaml:13) ${MESSAGE}`,
          `Warning [IST0144] (Pod default/web pod.yaml:8) ${MESSAGE}`,
        ],
      },
      {
        name: 'the proxy container, other UIDs and control-plane pods are fine',
        files: {
          'a.yaml': pod(
            '  containers:\n  - {name: istio-proxy, image: proxy, securityContext: {runAsUser: 1337}}\n  - {name: web, image: web, securityContext: {runAsUser: 1000}}\n',
          ),
          'b.yaml': pod(
            '  securityContext: {runAsUser: 1337}\n  containers: [{name: pilot, image: pilot}]\n',
            '{istio: pilot}',
          ).replace('name: web', 'name: istiod'),
        },
        expect: [],
      },
    ],
  );
});
