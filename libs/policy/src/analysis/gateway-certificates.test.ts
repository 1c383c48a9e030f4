import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';

const gateway = (name: string, selector: string, tls: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: default
spec:
  selector: {${selector}}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [${name}.example.com]
    tls: {mode: SIMPLE, ${tls}}
`;

const DUPLICATE = (a: string, b: string) =>
  `Duplicate certificate in multiple gateways [default/${a} default/${b}] may cause 404s if clients re-use HTTP2 connections.`;

describe('gateway.CertificateAnalyzer (IST0138)', () => {
  runAnalysisCases(
    ['IST0138'],
    [
      {
        name: 'one secret on two gateways of the same pods is reported on both',
        files: {
          'a.yaml': gateway('a', 'istio: ingressgateway', 'credentialName: wildcard'),
          'b.yaml': gateway('b', 'istio: ingressgateway', 'credentialName: wildcard'),
        },
        expect: [
          `Warning [IST0138] (Gateway default/a a.yaml:4) ${DUPLICATE('a', 'b')}`,
          `Warning [IST0138] (Gateway default/b b.yaml:4) ${DUPLICATE('b', 'a')}`,
        ],
      },
      {
        name: 'the same certificate and key files count too; different secrets or pods do not',
        files: {
          'a.yaml': gateway('a', 'istio: ingressgateway', 'serverCertificate: /c.pem, privateKey: /k.pem'),
          'b.yaml': gateway('b', 'istio: ingressgateway', 'credentialName: other'),
          'c.yaml': gateway('c', 'app: edge', 'serverCertificate: /c.pem, privateKey: /k.pem'),
        },
        expect: [],
      },
    ],
  );
});
