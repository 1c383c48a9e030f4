import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { SERVICES } from '../../test/support/analysis-fixtures.js';

const vs = (hosts: string, route: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: test
  namespace: default
spec:
  hosts: [${hosts}]${extra}
  http:
  - route:
    - destination: ${route}
`;

const serviceEntry = (namespace: string, host: string, exportTo = '') => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: external
  namespace: ${namespace}
spec:
  hosts: ['${host}']${exportTo}
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: NONE
`;

describe('virtualservice.DestinationHostAnalyzer (IST0101 host, IST0112)', () => {
  runAnalysisCases(
    ['IST0101', 'IST0112'],
    [
      {
        name: 'a short name of a Service in the namespace is found',
        files: { 'svc.yaml': SERVICES, 'vs.yaml': vs('reviews', '{host: reviews}') },
        expect: [],
      },
      {
        name: 'the FQDN of a Service in another namespace is found',
        files: {
          'svc.yaml': SERVICES,
          'vs.yaml': vs('reviews', '{host: reviews.default.svc.cluster.local}').replace(
            'namespace: default',
            'namespace: frontend',
          ),
        },
        expect: [],
        options: { namespace: 'frontend' },
      },
      {
        name: 'an unknown host is reported at the line of the host',
        files: { 'svc.yaml': SERVICES, 'vs.yaml': vs('reviews', '{host: reviewz}') },
        expect: [
          'Error [IST0101] (VirtualService default/test vs.yaml:10) Referenced host not found: "reviewz"',
        ],
      },
      {
        name: 'a short name resolves in the VirtualService namespace, not in the Service one',
        files: {
          'svc.yaml': SERVICES,
          'vs.yaml': vs('reviews', '{host: reviews}').replace('namespace: default', 'namespace: frontend'),
        },
        expect: [
          'Error [IST0101] (VirtualService frontend/test vs.yaml:10) Referenced host not found: "reviews"',
        ],
        options: { namespace: 'frontend' },
      },
      {
        name: 'a ServiceEntry host is found',
        files: {
          'se.yaml': serviceEntry('default', 'api.example.com'),
          'vs.yaml': vs('api.example.com', '{host: api.example.com}'),
        },
        expect: [],
      },
      {
        name: 'a wildcard ServiceEntry covers the host',
        files: {
          'se.yaml': serviceEntry('default', '*.example.com'),
          'vs.yaml': vs('api.example.com', '{host: api.example.com}'),
        },
        expect: [],
      },
      {
        name: 'a ServiceEntry exported only to its namespace is not visible from another',
        files: {
          'se.yaml': serviceEntry('other', 'api.example.com', "\n  exportTo: ['.']"),
          'vs.yaml': vs('api.example.com', '{host: api.example.com}'),
        },
        expect: [
          'Error [IST0101] (VirtualService default/test vs.yaml:10) Referenced host not found: "api.example.com"',
        ],
      },
      {
        name: 'a mirror to an unknown host is named a mirror host',
        files: {
          'svc.yaml': SERVICES,
          'vs.yaml': `${vs('reviews', '{host: reviews}')}    mirror: {host: shadow}\n`,
        },
        expect: [
          'Error [IST0101] (VirtualService default/test vs.yaml:11) Referenced mirror host not found: "shadow"',
        ],
      },
      {
        name: 'a service with two ports needs the port named',
        files: { 'svc.yaml': SERVICES, 'vs.yaml': vs('ratings', '{host: ratings}') },
        expect: [
          'Error [IST0112] (VirtualService default/test vs.yaml:10) This VirtualService routes to a service "ratings" ' +
            'that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.',
        ],
      },
      {
        name: 'a port the service has is fine, one it has not is reported',
        files: {
          'svc.yaml': SERVICES,
          'a.yaml': vs('ratings', '{host: ratings, port: {number: 9090}}'),
          'b.yaml': vs('reviews', '{host: reviews, port: {number: 80}}').replace('name: test', 'name: other'),
        },
        expect: [
          'Error [IST0101] (VirtualService default/other b.yaml:10) Referenced host:port not found: "reviews:80"',
        ],
      },
    ],
  );
});
