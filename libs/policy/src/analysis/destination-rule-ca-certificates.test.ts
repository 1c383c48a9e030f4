import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';

const rule = (trafficPolicy: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
  namespace: default
spec:
  host: api.example.com
  trafficPolicy:
${trafficPolicy}`;

describe('destinationrule.CaCertificateAnalyzer (IST0128, IST0129)', () => {
  runAnalysisCases(
    ['IST0128', 'IST0129'],
    [
      {
        name: 'SIMPLE without caCertificates is reported at the mode',
        files: { 'dr.yaml': rule('    tls: {mode: SIMPLE}\n') },
        expect: [
          'Warning [IST0128] (DestinationRule default/api dr.yaml:9) DestinationRule default/api in namespace default ' +
            'has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: api.example.com',
        ],
      },
      {
        name: 'caCertificates, a credentialName or insecureSkipVerify is a choice made',
        files: {
          'a.yaml': rule('    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}\n'),
          'b.yaml': rule('    tls: {mode: MUTUAL, credentialName: api-client}\n').replace(
            'name: api',
            'name: b',
          ),
          'c.yaml': rule('    tls: {mode: SIMPLE, insecureSkipVerify: true}\n').replace(
            'name: api',
            'name: c',
          ),
        },
        expect: [],
      },
      {
        name: 'ISTIO_MUTUAL and DISABLE need no CA',
        files: {
          'a.yaml': rule('    tls: {mode: ISTIO_MUTUAL}\n'),
          'b.yaml': rule('    tls: {mode: DISABLE}\n').replace('name: api', 'name: b'),
        },
        expect: [],
      },
      {
        name: 'a port-level SIMPLE without caCertificates is reported with its port',
        files: {
          'dr.yaml': rule('    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: SIMPLE}\n'),
        },
        expect: [
          'Warning [IST0129] (DestinationRule default/api dr.yaml:11) DestinationRule default/api in namespace default ' +
            'has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: ' +
            'api.example.com at port number:443',
        ],
      },
    ],
  );
});
