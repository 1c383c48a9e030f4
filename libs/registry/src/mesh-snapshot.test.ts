import { describe, expect, it } from 'vitest';

import { loadYaml } from '@mesh/policy';
import { MeshSnapshot } from './mesh-snapshot.js';

function snapshotOf(text: string): MeshSnapshot {
  expect(loadYaml(text, 'mesh.yaml').findings).toEqual([]);
  return MeshSnapshot.fromYaml(text, 'mesh.yaml');
}

const VISIBILITY = `apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: shop
  annotations: {networking.istio.io/exportTo: "., istio-system"}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: shop}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: hidden, namespace: egress}
spec:
  hosts: [hidden.example.com]
  exportTo: ["~"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-private, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [ratings]
  exportTo: ["."]
  http: [{route: [{destination: {host: ratings}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-public, namespace: shop, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  hosts: [ratings]
  http: [{route: [{destination: {host: ratings}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-for-web, namespace: shop, creationTimestamp: "2024-01-03T00:00:00Z"}
spec:
  hosts: [ratings]
  exportTo: [web]
  http: [{route: [{destination: {host: ratings}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-root, namespace: istio-system, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  host: ratings.shop.svc.cluster.local
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-owner, namespace: shop, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  host: ratings
  exportTo: [".", "web"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-web, namespace: web, creationTimestamp: "2024-01-03T00:00:00Z"}
spec:
  host: ratings.shop.svc.cluster.local
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-api-hidden, namespace: api, creationTimestamp: "2024-01-04T00:00:00Z"}
spec:
  host: ratings.shop.svc.cluster.local
  exportTo: ["~"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-elsewhere, namespace: other, creationTimestamp: "2024-01-05T00:00:00Z"}
spec:
  host: ratings.shop.svc.cluster.local
`;

describe('MeshSnapshot exportTo', () => {
  const snapshot = snapshotOf(VISIBILITY);
  const names = (list: readonly { metadata: { name?: string } }[]) => list.map((x) => x.metadata.name);

  it('stores Service and ServiceEntry exportTo on the mesh service', () => {
    expect(snapshot.service('reviews.shop.svc.cluster.local')?.exportTo).toEqual(['.', 'istio-system']);
    expect(snapshot.service('ratings.shop.svc.cluster.local')?.exportTo).toBeUndefined();
    expect(snapshot.service('hidden.example.com')?.exportTo).toEqual(['~']);
  });

  it.each([
    ['shop', ['ratings.shop.svc.cluster.local', 'reviews.shop.svc.cluster.local']],
    ['istio-system', ['ratings.shop.svc.cluster.local', 'reviews.shop.svc.cluster.local']],
    ['web', ['ratings.shop.svc.cluster.local']],
    ['egress', ['ratings.shop.svc.cluster.local']],
  ])('services visible from %s', (namespace, expected) => {
    expect(snapshot.outboundServices({ namespace, labels: {} }).map((s) => s.hostname)).toEqual(expected);
  });

  it.each([
    [undefined, ['ratings-private', 'ratings-public', 'ratings-for-web']],
    ['shop', ['ratings-private', 'ratings-public']],
    ['web', ['ratings-public', 'ratings-for-web']],
    ['other', ['ratings-public']],
  ])('VirtualServices for ratings from %s', (namespace, expected) => {
    expect(names(snapshot.virtualServices('ratings.shop.svc.cluster.local', namespace))).toEqual(expected);
    if (namespace !== undefined)
      expect(
        names(snapshot.forNamespace(namespace).virtualServices('ratings.shop.svc.cluster.local')),
      ).toEqual(expected);
  });

  it.each([
    // No namespace: the oldest rule anywhere (the former behaviour).
    [undefined, 'ratings-root'],
    // The proxy's own namespace first...
    ['web', 'ratings-web'],
    // ...then the service's namespace (exported to the caller)...
    ['shop', 'ratings-owner'],
    // ...then the root namespace: `ratings-owner` is not exported to `api`, and api's own rule is `~`.
    ['api', 'ratings-root'],
    ['other', 'ratings-elsewhere'],
    ['istio-system', 'ratings-root'],
  ])('DestinationRule for ratings from %s is %s', (namespace, expected) => {
    expect(snapshot.destinationRule('ratings.shop.svc.cluster.local', namespace)?.metadata.name).toBe(
      expected,
    );
    if (namespace !== undefined)
      expect(
        snapshot.forNamespace(namespace).destinationRule('ratings.shop.svc.cluster.local')?.metadata.name,
      ).toBe(expected);
  });

  it('takes the root namespace from the view', () => {
    expect(
      snapshot.forNamespace('api', 'mesh-root').destinationRule('ratings.shop.svc.cluster.local'),
    ).toBeUndefined();
    expect(snapshot.destinationRule('ratings.shop.svc.cluster.local', 'api', 'mesh-root')).toBeUndefined();
  });

  it('a view shares the snapshot data', () => {
    const view = snapshot.forNamespace('web');
    expect(view.services).toBe(snapshot.services);
    expect(view.domainSuffix).toBe(snapshot.domainSuffix);
    expect(view.sidecars).toBe(snapshot.sidecars);
  });
});

const SIDECARS = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: billing, namespace: finance}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: istiod, namespace: istio-system}
spec:
  ports: [{name: grpc-xds, port: 15010}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress: [{hosts: ["./*", "istio-system/*"]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web, namespace: shop}
spec:
  workloadSelector: {labels: {app: web}}
  egress: [{hosts: ["finance/*"]}]
`;

describe('MeshSnapshot Sidecar scoping', () => {
  const snapshot = snapshotOf(SIDECARS);
  it.each([
    [{ namespace: 'shop', labels: { app: 'web' } }, 'web', ['billing.finance.svc.cluster.local']],
    [
      { namespace: 'shop', labels: { app: 'reviews' } },
      'default',
      ['istiod.istio-system.svc.cluster.local', 'reviews.shop.svc.cluster.local'],
    ],
    [
      { namespace: 'finance', labels: {} },
      'default',
      ['billing.finance.svc.cluster.local', 'istiod.istio-system.svc.cluster.local'],
    ],
  ])('%j uses Sidecar %s', (workload, sidecar, expected) => {
    expect(snapshot.sidecarFor(workload)?.metadata.name).toBe(sidecar);
    expect(snapshot.outboundServices(workload).map((s) => s.hostname)).toEqual(expected);
  });
});

const SLICES = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080, targetPort: http-web}
  - {name: grpc, port: 9090, targetPort: 19090}
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-v1-1
  namespace: default
  labels: {app: reviews, version: v1, security.istio.io/tlsMode: istio}
spec:
  serviceAccountName: bookinfo-reviews
  containers: [{name: reviews, image: reviews, ports: [{name: http-web, containerPort: 8080}]}]
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-v2-1
  namespace: default
  labels: {app: reviews, version: v2}
spec:
  containers: [{name: reviews, image: reviews, ports: [{name: http-web, containerPort: 8080}]}]
status: {podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-stray
  namespace: default
  labels: {app: reviews, version: v3}
spec:
  containers: [{name: reviews, image: reviews}]
status: {podIP: 10.0.1.9}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: reviews-abc
  namespace: default
  labels: {kubernetes.io/service-name: reviews}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
- {name: grpc, port: 19090, protocol: TCP}
endpoints:
- addresses: [10.0.1.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: reviews-v1-1, namespace: default}
- addresses: [10.0.1.2]
  conditions: {ready: false}
  targetRef: {kind: Pod, name: reviews-v2-1, namespace: default}
- addresses: [10.0.1.3]
  targetRef: {kind: Pod, name: reviews-unknown, namespace: default}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: reviews-def
  namespace: default
  labels: {kubernetes.io/service-name: reviews}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
endpoints:
- addresses: [10.0.1.4]
  conditions: {ready: true}
- addresses: [10.0.1.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: reviews-v1-1, namespace: default}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: reviews-fqdn
  namespace: default
  labels: {kubernetes.io/service-name: reviews}
addressType: FQDN
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [reviews.example.com]}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: ratings-1, namespace: default, labels: {app: ratings}}
spec:
  containers: [{name: ratings, image: ratings}]
status: {podIP: 10.0.2.1}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-vm, namespace: default}
spec:
  address: 10.0.3.1
  labels: {app: reviews, version: vm}
  serviceAccount: reviews-vm
  ports: {http: 8081}
---
apiVersion: v1
kind: Service
metadata: {name: drained, namespace: default}
spec:
  selector: {app: drained}
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: drained-1
  namespace: default
  labels: {kubernetes.io/service-name: drained}
addressType: IPv4
ports: [{name: http, port: 80}]
endpoints: [{addresses: [10.0.4.1], conditions: {ready: false}}]
---
apiVersion: v1
kind: Pod
metadata: {name: drained-1, namespace: default, labels: {app: drained}}
spec:
  containers: [{name: drained, image: drained}]
status: {podIP: 10.0.4.1}
`;

describe('MeshSnapshot EndpointSlices', () => {
  const snapshot = snapshotOf(SLICES);
  const endpoints = (host: string, port: number) => {
    const service = snapshot.service(host)!;
    return snapshot
      .endpoints(
        service,
        service.ports.find((p) => p.port === port)!,
      )
      .map((e) => ({
        at: `${e.address}:${e.port}`,
        version: e.labels['version'],
        sa: e.serviceAccount,
        tls: e.tlsMode,
      }));
  };

  it('takes ready slice endpoints, with labels, service account and tlsMode from the target Pod', () => {
    // 10.0.1.2 is not ready, 10.0.1.3's Pod is not known (yet), the stray Pod is in no slice, the FQDN
    // slice is skipped, 10.0.1.1 is listed twice but counted once, 10.0.1.4 has no Pod (no labels, no
    // service account); the WorkloadEntry the selector matches still counts.
    expect(endpoints('reviews.default.svc.cluster.local', 9080)).toEqual([
      { at: '10.0.1.1:8080', version: 'v1', sa: 'bookinfo-reviews', tls: 'istio' },
      { at: '10.0.1.4:8080', version: undefined, sa: '', tls: 'disabled' },
      { at: '10.0.3.1:8081', version: 'vm', sa: 'reviews-vm', tls: 'disabled' },
    ]);
  });

  it('serves a port only from slices that list it (by Service port name)', () => {
    // 10.0.1.1 first appeared in the slice with both ports; 10.0.1.4's slice lacks `grpc`. The
    // WorkloadEntry does not name `grpc`, so it gets the numeric targetPort.
    expect(endpoints('reviews.default.svc.cluster.local', 9090).map((e) => e.at)).toEqual([
      '10.0.1.1:19090',
      '10.0.3.1:19090',
    ]);
  });

  it('falls back to the selector without slices, and has no Pod endpoints when every slice endpoint is unready', () => {
    expect(snapshot.service('reviews.default.svc.cluster.local')?.endpointsFromSlices).toBe(true);
    expect(snapshot.service('ratings.default.svc.cluster.local')?.endpointsFromSlices).toBeUndefined();
    expect(endpoints('ratings.default.svc.cluster.local', 9080).map((e) => e.at)).toEqual(['10.0.2.1:9080']);
    expect(endpoints('drained.default.svc.cluster.local', 80)).toEqual([]);
  });
});
