import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { SERVICES } from '../../test/support/analysis-fixtures.js';

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
  namespace: default
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
`;

const vs = (gateways: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: claims
  namespace: default
spec:
  hosts: ['*']
  gateways: [${gateways}]
  http:
  - match:
    - headers:
        '@request.auth.claims.groups': {exact: admin}
    route:
    - destination: {host: reviews}
`;

const requestAuthn = (namespace: string, selector: string) => `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt
  namespace: ${namespace}
spec:${selector}
  jwtRules:
  - issuer: https://issuer.example.com
    jwksUri: https://issuer.example.com/jwks
`;

const MISSING =
  'Error [IST0149] (VirtualService default/claims vs.yaml:1) The virtual service uses the JWT claim based routing ' +
  '(key: @request.auth.claims.groups) but found no request authentication for the gateway (default/public) pod ' +
  '(istio-ingressgateway-dummypod). The request authentication must first be applied for the gateway pods to ' +
  'validate the JWT token and make the claims available for routing.';

describe('virtualservice.JWTClaimRouteAnalyzer (IST0149)', () => {
  runAnalysisCases(
    ['IST0149'],
    [
      {
        name: 'claim routing at a gateway without RequestAuthentication on its pods is reported',
        files: { 'svc.yaml': SERVICES, 'gw.yaml': GATEWAY, 'vs.yaml': vs('public') },
        expect: [MISSING],
      },
      {
        name: 'a RequestAuthentication in istio-system selecting the gateway pods is enough',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': GATEWAY,
          'vs.yaml': vs('public'),
          'ra.yaml': requestAuthn('istio-system', '\n  selector: {matchLabels: {istio: ingressgateway}}'),
        },
        expect: [],
      },
      {
        name: 'one in the namespace of the VirtualService does not reach the gateway pods',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': GATEWAY,
          'vs.yaml': vs('public'),
          'ra.yaml': requestAuthn('default', ''),
        },
        expect: [MISSING],
      },
      {
        name: 'claim routing for sidecars (mesh) is not checked',
        files: { 'svc.yaml': SERVICES, 'vs.yaml': vs('mesh') },
        expect: [],
      },
    ],
  );
});
