import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { SERVICES } from '../../test/support/analysis-fixtures.js';

const gateway = (namespace: string, hosts: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: public
  namespace: ${namespace}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [${hosts}]
`;

const vs = (hosts: string, gateways: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
  namespace: default
spec:
  hosts: [${hosts}]
  gateways: [${gateways}]
  http:
  - route:
    - destination: {host: reviews}
`;

describe('virtualservice.GatewayAnalyzer (IST0101 gateway, IST0132)', () => {
  runAnalysisCases(
    ['IST0101', 'IST0132'],
    [
      {
        name: 'a gateway of the namespace exposing the host is fine',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': gateway('default', 'shop.example.com'),
          'vs.yaml': vs('shop.example.com', 'public'),
        },
        expect: [],
      },
      {
        name: 'mesh is not a Gateway resource',
        files: { 'svc.yaml': SERVICES, 'vs.yaml': vs('reviews', 'mesh') },
        expect: [],
      },
      {
        name: 'a gateway that does not exist is reported once, at the reference',
        files: { 'svc.yaml': SERVICES, 'vs.yaml': vs('shop.example.com', 'publik') },
        expect: [
          'Error [IST0101] (VirtualService default/shop vs.yaml:8) Referenced gateway not found: "publik"',
        ],
      },
      {
        name: 'a gateway of another namespace is named namespace/name',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': gateway('istio-system', 'shop.example.com'),
          'vs.yaml': vs('shop.example.com', 'istio-system/public'),
        },
        expect: [],
      },
      {
        name: 'a wildcard server host covers the VirtualService host',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': gateway('default', "'*.example.com'"),
          'vs.yaml': vs('shop.example.com', 'public'),
        },
        expect: [],
      },
      {
        name: 'a host the gateway does not expose is reported',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': gateway('default', 'other.example.com'),
          'vs.yaml': vs('shop.example.com', 'public'),
        },
        expect: [
          'Warning [IST0132] (VirtualService default/shop vs.yaml:8) one or more host [shop.example.com] defined in ' +
            'VirtualService default/shop not found in Gateway default/public.',
        ],
      },
      {
        name: 'a host exposed to another namespace only is not exposed to this one',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': gateway('istio-system', 'team/shop.example.com'),
          'vs.yaml': vs('shop.example.com', 'istio-system/public'),
        },
        expect: [
          'Warning [IST0132] (VirtualService default/shop vs.yaml:8) one or more host [shop.example.com] defined in ' +
            'VirtualService default/shop not found in Gateway istio-system/public.',
        ],
      },
      {
        name: 'a host exposed with ./ to the gateway namespace, or */ to all, is exposed',
        files: {
          'svc.yaml': SERVICES,
          'gw.yaml': gateway('default', "'./shop.example.com', '*/api.example.com'"),
          'a.yaml': vs('shop.example.com', 'public'),
          'b.yaml': vs('api.example.com', 'public').replace('name: shop', 'name: api'),
        },
        expect: [],
      },
    ],
  );
});
