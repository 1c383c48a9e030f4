import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { DEPLOYMENTS } from '../../test/support/analysis-fixtures.js';

const sidecar = (name: string, selector: string) => `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: ${name}
  namespace: default
spec:${selector}
  egress:
  - hosts: ['./*']
`;

describe('sidecar.SelectorAnalyzer (IST0101 selector, IST0110, IST0111, IST0167)', () => {
  runAnalysisCases(
    ['IST0101', 'IST0110', 'IST0111', 'IST0167'],
    [
      {
        name: 'a selector matching a pod and one default Sidecar are fine',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'a.yaml': sidecar('reviews', '\n  workloadSelector:\n    labels: {app: reviews}'),
          'b.yaml': sidecar('default', ''),
        },
        expect: [],
      },
      {
        name: 'a selector matching no pod of the namespace is reported at its first label',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'a.yaml': sidecar(
            'details',
            '\n  workloadSelector:\n    labels:\n      version: v1\n      app: details',
          ),
        },
        expect: [
          'Error [IST0101] (Sidecar default/details a.yaml:10) Referenced selector not found: "app=details,version=v1"',
        ],
      },
      {
        name: 'two Sidecars selecting one pod are both reported',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'a.yaml': sidecar('a', '\n  workloadSelector:\n    labels: {app: ratings}'),
          'b.yaml': sidecar('b', '\n  workloadSelector:\n    labels: {version: v1, app: ratings}'),
        },
        expect: [
          'Error [IST0110] (Sidecar default/a a.yaml:4) The Sidecars [a b] in namespace "default" select the same workload pod "ratings-v1", which can lead to undefined behavior.',
          'Error [IST0110] (Sidecar default/b b.yaml:4) The Sidecars [a b] in namespace "default" select the same workload pod "ratings-v1", which can lead to undefined behavior.',
        ],
      },
      {
        name: 'two Sidecars without a selector in one namespace are both reported',
        files: { 'a.yaml': sidecar('a', ''), 'b.yaml': sidecar('b', '') },
        expect: [
          'Error [IST0111] (Sidecar default/a a.yaml:4) The Sidecars [a b] in namespace "default" have no workload selector, which can lead to undefined behavior.',
          'Error [IST0111] (Sidecar default/b b.yaml:4) The Sidecars [a b] in namespace "default" have no workload selector, which can lead to undefined behavior.',
        ],
      },
      {
        name: 'a Sidecar without selector in an ambient namespace has no impact (and two do not conflict)',
        files: {
          'ns.yaml':
            'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: {istio.io/dataplane-mode: ambient}\n',
          'a.yaml': sidecar('a', ''),
          'b.yaml': sidecar('b', ''),
        },
        expect: [
          'Warning [IST0167] (Sidecar default/a a.yaml:1) The policy has no impact: namespace is in ambient mode, the policy has no impact.',
          'Warning [IST0167] (Sidecar default/b b.yaml:1) The policy has no impact: namespace is in ambient mode, the policy has no impact.',
        ],
      },
      {
        name: 'files without any workload say nothing about selectors',
        files: { 'a.yaml': sidecar('details', '\n  workloadSelector:\n    labels: {app: details}') },
        expect: [],
      },
    ],
  );
});
