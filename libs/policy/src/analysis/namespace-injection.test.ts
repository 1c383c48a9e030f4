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

const pod = (name: string, namespace: string, extra: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${namespace}${extra.includes('annotations') ? `, ${extra}` : ''} }
spec:
  ${extra.includes('hostNetwork') ? 'hostNetwork: true\n  ' : ''}containers: [{ name: app, image: app }${extra.includes('proxy') ? ', { name: istio-proxy, image: proxyv2 }' : ''}]
${extra.includes('manifest') ? '' : 'status: { phase: Running }\n'}`;

describe('injection.Analyzer (IST0103)', () => {
  runAnalysisCases(
    ['IST0103'],
    [
      {
        name: 'a running pod of an injected namespace without istio-proxy is reported',
        files: {
          'ns.yaml': namespace('shop', 'istio-injection: enabled'),
          'pod.yaml': pod('web', 'shop', ''),
        },
        options: { namespace: 'shop' },
        expect: [
          'Warning [IST0103] (Pod shop/web pod.yaml:3) The pod web is missing the Istio proxy. This can often be ' +
            'resolved by restarting or redeploying the workload.',
        ],
      },
      {
        name: 'not a pod with its proxy, opted out, on the host network, a manifest, or in a namespace not injected',
        files: {
          'ns.yaml': namespace('shop', 'istio-injection: enabled'),
          'other.yaml': namespace('plain', 'istio-injection: disabled'),
          'a.yaml': pod('with-proxy', 'shop', 'proxy'),
          'b.yaml': pod('opted-out', 'shop', 'annotations: { sidecar.istio.io/inject: "false" }'),
          'c.yaml': pod('host', 'shop', 'hostNetwork'),
          'd.yaml': pod('manifest', 'shop', 'manifest'),
          'e.yaml': pod('plain-pod', 'plain', ''),
        },
        options: { namespace: 'shop' },
        expect: [],
      },
    ],
  );
});
