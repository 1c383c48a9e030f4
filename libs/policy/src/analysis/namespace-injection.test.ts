import { describe } from 'vitest';

import { runAnalysisCases } from '../../test/support/analysis-cases.js';

const namespace = (name: string, labels: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels: {${labels}}
`;

describe('injection.Analyzer (IST0102)', () => {
  runAnalysisCases(
    ['IST0102'],
    [
      {
        name: 'a namespace with no data-plane label is reported, whatever namespace is analyzed',
        files: { 'ns.yaml': namespace('shop', 'team: shop') },
        expect: [
          "Info [IST0102] (Namespace shop ns.yaml:4) The namespace is not enabled for Istio injection. Run 'kubectl " +
            "label namespace shop istio-injection=enabled' to enable it, or 'kubectl label namespace shop " +
            "istio-injection=disabled' to explicitly mark it as not needing injection.",
        ],
      },
      {
        name: 'injection enabled or disabled, a revision, ambient, and istio-system are not',
        files: {
          'a.yaml': namespace('a', 'istio-injection: enabled'),
          'b.yaml': namespace('b', 'istio-injection: disabled'),
          'c.yaml': namespace('c', 'istio.io/rev: canary'),
          'd.yaml': namespace('d', 'istio.io/dataplane-mode: ambient'),
          'e.yaml': namespace('istio-system', ''),
        },
        expect: [],
      },
    ],
  );
});
