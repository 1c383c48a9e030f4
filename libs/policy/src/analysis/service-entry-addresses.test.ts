import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { DEFAULT_MESH_CONFIG } from '../api/mesh/mesh-config.js';

const entry = (name: string, ports: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
  namespace: default
spec:
  hosts: [${name}.example.com]${extra}
  resolution: DNS
  ports:
${ports}`;

describe('serviceentry.Analyzer (IST0134)', () => {
  runAnalysisCases(
    ['IST0134'],
    [
      {
        name: 'a TCP port or one without protocol needs addresses; HTTP does not',
        files: {
          'se.yaml': entry(
            'db',
            '  - {number: 5432, name: postgres, protocol: TCP}\n  - {number: 6379, name: redis}\n  - {number: 80, name: http, protocol: HTTP}\n',
          ),
        },
        expect: [
          'Warning [IST0134] (ServiceEntry default/db se.yaml:10) ServiceEntry addresses are required for this protocol.',
          'Warning [IST0134] (ServiceEntry default/db se.yaml:11) ServiceEntry addresses are required for this protocol.',
        ],
      },
      {
        name: 'addresses in the spec are enough',
        files: {
          'se.yaml': entry(
            'db',
            '  - {number: 5432, name: tcp, protocol: TCP}\n',
            '\n  addresses: [240.0.0.10]',
          ),
        },
        expect: [],
      },
      {
        name: 'proxies that capture DNS and allocate addresses need none',
        files: { 'se.yaml': entry('db', '  - {number: 5432, name: tcp, protocol: TCP}\n') },
        expect: [],
        options: {
          meshConfig: {
            ...DEFAULT_MESH_CONFIG,
            defaultConfig: {
              ...DEFAULT_MESH_CONFIG.defaultConfig,
              proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', ISTIO_META_DNS_AUTO_ALLOCATE: 'true' },
            },
          },
        },
      },
    ],
  );
});
