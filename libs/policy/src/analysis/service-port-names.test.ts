import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';

const service = (ports: string, extra = '', labels = '') => `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default${labels}
spec:${extra}
  ports:
${ports}`;

describe('service.PortNameAnalyzer (IST0118, IST0150)', () => {
  runAnalysisCases(
    ['IST0118', 'IST0150'],
    [
      {
        name: 'protocol prefixes, appProtocol, UDP and well-known ports are fine',
        files: {
          'svc.yaml': service(
            [
              '  - {name: http-web, port: 80}',
              '  - {name: grpc-web-ui, port: 81}',
              '  - {name: GRPC, port: 82}',
              '  - {name: web, port: 83, appProtocol: http}',
              '  - {name: h2c, port: 84, appProtocol: kubernetes.io/h2c}',
              '  - {name: dns, port: 5353, protocol: UDP}',
              '  - {name: db, port: 3306}',
              '',
            ].join('\n'),
          ),
        },
        expect: [],
      },
      {
        name: 'a name without a protocol prefix is reported at its port',
        files: { 'svc.yaml': service('  - {name: web, port: 8080, targetPort: 9080}\n  - {port: 8081}\n') },
        expect: [
          "Info [IST0118] (Service default/web svc.yaml:8) Port name web (port: 8080, targetPort: 9080) doesn't follow the naming convention of Istio port.",
          "Info [IST0118] (Service default/web svc.yaml:9) Port name  (port: 8081, targetPort: 0) doesn't follow the naming convention of Istio port.",
        ],
      },
      {
        name: 'control-plane Services are not checked',
        files: { 'svc.yaml': service('  - {name: web, port: 8080}\n', '', '\n  labels: {istio: pilot}') },
        expect: [],
      },
      {
        name: 'an ExternalName Service with a tcp port name gets IST0150',
        files: {
          'svc.yaml': service(
            '  - {name: tcp, port: 5432}\n',
            '\n  type: ExternalName\n  externalName: db.example.com',
          ),
        },
        expect: [
          'Warning [IST0150] (Service default/web svc.yaml:10) Port name for ExternalName service is invalid. Proxy may ' +
            'prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly',
        ],
      },
    ],
  );
});
