import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';
import { DEPLOYMENTS } from '../../test/support/analysis-fixtures.js';

const policy = (namespace: string, selector: string, rules = '') => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow
  namespace: ${namespace}
spec:${selector}
  action: ALLOW${rules}
`;

const namespaceObject = (name: string, labels = '{}') => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels: ${labels}
---
`;

describe('auth.AuthorizationPoliciesAnalyzer (IST0127, IST0101 namespace)', () => {
  runAnalysisCases(
    ['IST0127', 'IST0101'],
    [
      {
        name: 'a selector matching a Deployment pod is fine',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'ap.yaml': policy('default', '\n  selector: {matchLabels: {app: reviews}}'),
        },
        expect: [],
      },
      {
        name: 'a selector matching no pod is reported with the labels',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'ap.yaml': policy('default', '\n  selector: {matchLabels: {version: v1, app: detail}}'),
        },
        expect: [
          'Warning [IST0127] (AuthorizationPolicy default/allow ap.yaml:7) No matching workloads for this resource ' +
            'with the following labels: app=detail,version=v1',
        ],
      },
      {
        name: 'pods of a namespace labelled for injection are in the mesh, opted-out ones are not',
        files: {
          'deploy.yaml':
            namespaceObject('default', '{istio-injection: enabled}') +
            DEPLOYMENTS.replace(
              'labels: {app: ratings, version: v1}',
              "labels: {app: ratings, version: v1, sidecar.istio.io/inject: 'false'}",
            ),
          'ap.yaml': policy('default', '\n  selector: {matchLabels: {app: ratings}}'),
        },
        expect: [
          'Warning [IST0127] (AuthorizationPolicy default/allow ap.yaml:7) No matching workloads for this resource ' +
            'with the following labels: app=ratings',
        ],
      },
      {
        name: 'a namespace not labelled for injection has no pods in the mesh',
        files: {
          'deploy.yaml': namespaceObject('default') + DEPLOYMENTS,
          'ap.yaml': policy('default', ''),
        },
        expect: [
          'Warning [IST0127] (AuthorizationPolicy default/allow ap.yaml:1) No matching workloads for this resource ' +
            'with the following labels: ',
        ],
      },
      {
        name: 'a root-namespace policy selects pods of every namespace; without a selector it is never reported',
        files: {
          'deploy.yaml': DEPLOYMENTS,
          'a.yaml': policy('istio-system', '\n  selector: {matchLabels: {app: reviews}}'),
          'b.yaml': policy('istio-system', '').replace('name: allow', 'name: all'),
        },
        expect: [],
        options: { namespace: undefined },
      },
      {
        name: 'files without any workload say nothing about selectors',
        files: { 'ap.yaml': policy('default', '\n  selector: {matchLabels: {app: nothing}}') },
        expect: [],
      },
      {
        name: 'a source namespace that no Namespace defines is reported, patterns match',
        files: {
          'ns.yaml': namespaceObject('default') + namespaceObject('frontend').replace(/---\n$/, ''),
          'ap.yaml': policy(
            'default',
            '',
            "\n  rules:\n  - from:\n    - source: {namespaces: [frontend, 'front*', '*end', backend]}",
          ),
        },
        expect: [
          'Error [IST0101] (AuthorizationPolicy default/allow ap.yaml:10) Referenced namespace not found: "backend"',
        ],
      },
    ],
  );
});
