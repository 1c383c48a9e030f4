import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { DEPLOYMENTS } from '../../test/support/analysis-fixtures.js';
import { DEFAULT_MESH_CONFIG } from '../api/mesh/mesh-config.js';

const telemetry = (name: string, spec: string) => `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: ${name}
  namespace: default
spec:
${spec}`;

const TRACING = '  tracing: [{randomSamplingPercentage: 10}]\n';

describe('telemetry.SelectorAnalyzer (IST0101 selector, IST0157, IST0159, IST0160)', () => {
  runAnalysisCases(
    ['IST0101', 'IST0157', 'IST0159', 'IST0160'],
    [
      {
        name: 'one namespace-wide Telemetry and one selecting a pod are fine',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'a.yaml': telemetry('default', TRACING),
          'b.yaml': telemetry('reviews', `  selector:\n    matchLabels: {app: reviews}\n${TRACING}`),
        },
        expect: [],
      },
      {
        name: 'a selector matching no pod, two Telemetries on one pod, two namespace-wide ones',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'a.yaml': telemetry('details', `  selector:\n    matchLabels: {app: details}\n${TRACING}`),
          'b.yaml': telemetry('r1', `  selector:\n    matchLabels: {app: ratings}\n${TRACING}`),
          'c.yaml': telemetry('r2', `  selector:\n    matchLabels: {version: v1, app: ratings}\n${TRACING}`),
          'd.yaml': telemetry('x', TRACING),
          'e.yaml': telemetry('y', TRACING),
        },
        expect: [
          'Error [IST0101] (Telemetry default/details a.yaml:8) Referenced selector not found: "app=details"',
          'Error [IST0159] (Telemetry default/r1 b.yaml:4) The Telemetries [r1 r2] in namespace "default" select the same workload pod "ratings-v1", which can lead to undefined behavior.',
          'Error [IST0159] (Telemetry default/r2 c.yaml:4) The Telemetries [r1 r2] in namespace "default" select the same workload pod "ratings-v1", which can lead to undefined behavior.',
          'Error [IST0160] (Telemetry default/x d.yaml:1) The Telemetries [x y] in namespace "default" have no workload selector, which can lead to undefined behavior.',
          'Error [IST0160] (Telemetry default/y e.yaml:1) The Telemetries [x y] in namespace "default" have no workload selector, which can lead to undefined behavior.',
        ],
      },
      {
        name: 'access logging without providers and without a mesh default is ignored',
        files: { 'a.yaml': telemetry('logs', '  accessLogging: [{disabled: false}]\n') },
        expect: [
          'Warning [IST0157] (Telemetry default/logs a.yaml:7) The Telemetry logs in namespace "default" with empty providers will be ignored.',
        ],
      },
      {
        name: 'a mesh default access log provider makes empty providers fine',
        files: { 'a.yaml': telemetry('logs', '  accessLogging: [{disabled: false}]\n') },
        expect: [],
        options: {
          meshConfig: {
            ...DEFAULT_MESH_CONFIG,
            defaultProviders: { accessLogging: ['envoy'] },
          },
        },
      },
    ],
  );
});
