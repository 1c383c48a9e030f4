import { describe, expect, it } from 'vitest';

import { only, render } from './helm.js';

interface Deployment {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: { serviceAccountName: string; containers: { name: string; image: string }[] };
    };
  };
}

describe('charts/gateway', () => {
  const objects = render('gateway', [], 'istio-ingressgateway', 'istio-ingress');

  it("is a pod istiod injects with the gateway template, as Istio's gateway chart makes it", () => {
    const deployment = only<Deployment>(objects, 'Deployment', 'istio-ingressgateway');
    const pod = deployment.spec.template;
    expect(pod.metadata.labels).toMatchObject({ 'sidecar.istio.io/inject': 'true', istio: 'ingressgateway' });
    expect(pod.metadata.annotations['inject.istio.io/templates']).toBe('gateway');
    expect(pod.spec.containers).toMatchObject([{ name: 'istio-proxy', image: 'auto' }]);
    expect(pod.spec.serviceAccountName).toBe('istio-ingressgateway');
    expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    only(objects, 'ServiceAccount', 'istio-ingressgateway');
  });

  it('exposes status-port 15021, http2 80 and https 443 on a LoadBalancer Service selecting the pod', () => {
    const service = only<{
      spec: { type: string; ports: { name: string; port: number }[]; selector: object };
    }>(objects, 'Service', 'istio-ingressgateway');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports.map((p) => `${p.name}:${p.port}`)).toEqual([
      'status-port:15021',
      'http2:80',
      'https:443',
    ]);
    expect(service.spec.selector).toEqual({ app: 'istio-ingressgateway', istio: 'ingressgateway' });
  });

  it('takes name, revision and serviceAccount values', () => {
    const named = render('gateway', [
      '--set',
      'name=edge',
      '--set',
      'revision=canary',
      '--set',
      'serviceAccount.create=false',
      '--set',
      'serviceAccount.name=edge-sa',
    ]);
    const pod = only<Deployment>(named, 'Deployment', 'edge').spec.template;
    expect(pod.metadata.labels['istio.io/rev']).toBe('canary');
    expect(pod.spec.serviceAccountName).toBe('edge-sa');
    expect(named.some((o) => o.kind === 'ServiceAccount')).toBe(false);
  });
});
