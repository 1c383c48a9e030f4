import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { buildSidecarContext, sidecarProxyOf } from './sidecar-context.js';

const MESH = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080}
  - {name: grpc-admin, port: 9090, targetPort: 19090}
---
apiVersion: v1
kind: Service
metadata: {name: reviews-canary, namespace: default}
spec:
  selector: {app: reviews, version: v2}
  ports:
  - {name: http, port: 9080}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: other}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 7000}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  portLevelMtls:
    19090: {mode: DISABLE}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: frontend-only, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: [cluster.local/ns/default/sa/frontend]}
`;

describe('sidecar context', () => {
  const node = {
    id: 'sidecar~10.0.0.7~reviews-v2-1.default~default.svc.cluster.local',
    cluster: 'Kubernetes',
    metadata: {
      NAMESPACE: 'default',
      LABELS: { app: 'reviews', version: 'v2' },
      INSTANCE_IPS: '10.0.0.7',
      SERVICE_ACCOUNT: 'reviews',
    },
  };

  it('reads the proxy from Istio node metadata, falling back to the node id', () => {
    expect(sidecarProxyOf(node)).toEqual({
      id: node.id,
      namespace: 'default',
      labels: { app: 'reviews', version: 'v2' },
      ipAddresses: ['10.0.0.7'],
      serviceAccount: 'reviews',
    });
    expect(
      sidecarProxyOf({ id: 'sidecar~10.0.0.8~web-1.shop~shop.svc.cluster.local', cluster: '', metadata: {} }),
    ).toEqual({
      id: 'sidecar~10.0.0.8~web-1.shop~shop.svc.cluster.local',
      namespace: 'shop',
      labels: {},
      ipAddresses: ['10.0.0.8'],
      serviceAccount: 'default',
    });
  });

  it('knows the ports the workload serves, its effective mTLS and the policies that apply to it', () => {
    const ctx = buildSidecarContext(MeshSnapshot.fromYaml(MESH, 'mesh.yaml'), sidecarProxyOf(node));
    // Two services select the pod on 9080 → one inbound port (the first by host name); the other
    // namespace's service does not select it.
    expect(ctx.inboundPorts.map((p) => `${p.service.hostname}:${p.port.port}->${p.targetPort}`)).toEqual([
      'reviews-canary.default.svc.cluster.local:9080->9080',
      'reviews.default.svc.cluster.local:9090->19090',
    ]);
    expect(ctx.peerAuthentication.mode).toBe('STRICT');
    expect(ctx.peerAuthentication.portModes.get(19090)).toBe('DISABLE');
    expect(ctx.authorization.policies.ALLOW.map((p) => p.name)).toEqual(['frontend-only']);
    expect(ctx.outboundServices.map((s) => s.hostname)).toContain('reviews.other.svc.cluster.local');
  });
});

const SCOPED = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: istiod, namespace: istio-system}
spec:
  selector: {app: istiod}
  ports: [{name: grpc-xds, port: 15010}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: other}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 7000}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: private-api, namespace: other}
spec:
  hosts: [private.example.com]
  exportTo: ["."]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-other, namespace: other}
spec:
  host: reviews.default.svc.cluster.local
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default, creationTimestamp: "2030-01-01T00:00:00Z"}
spec:
  host: reviews
`;

describe('sidecar context scoping', () => {
  const snapshot = MeshSnapshot.fromYaml(SCOPED, 'scoped.yaml');
  const proxy = (namespace: string, labels: Record<string, string> = {}) => ({
    id: `sidecar~10.0.0.1~p.${namespace}~${namespace}.svc.cluster.local`,
    namespace,
    labels,
    ipAddresses: ['10.0.0.1'],
    serviceAccount: 'default',
  });

  it('a Sidecar with egress ./* and istio-system/* limits the proxy to those namespaces', () => {
    const ctx = buildSidecarContext(snapshot, proxy('default', { app: 'productpage' }));
    expect(ctx.outboundServices.map((s) => s.hostname)).toEqual([
      'api.example.com',
      'istiod.istio-system.svc.cluster.local',
      'reviews.default.svc.cluster.local',
    ]);
  });

  it('without a Sidecar a proxy sees every service exported to its namespace', () => {
    expect(buildSidecarContext(snapshot, proxy('other')).outboundServices.map((s) => s.hostname)).toEqual([
      'api.example.com',
      'istiod.istio-system.svc.cluster.local',
      'private.example.com',
      'reviews.default.svc.cluster.local',
      'reviews.other.svc.cluster.local',
    ]);
    expect(buildSidecarContext(snapshot, proxy('web')).outboundServices.map((s) => s.hostname)).not.toContain(
      'private.example.com',
    );
  });

  it('a root-namespace Sidecar is the mesh default, `.` meaning the proxy namespace', () => {
    const mesh = MeshSnapshot.fromYaml(
      `${SCOPED}---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress:
  - hosts: ["./*"]
`,
      'scoped.yaml',
    );
    expect(buildSidecarContext(mesh, proxy('other')).outboundServices.map((s) => s.hostname)).toEqual([
      'private.example.com',
      'reviews.other.svc.cluster.local',
    ]);
  });

  it('looks DestinationRules up from the proxy namespace first', () => {
    // The proxy in `other` gets its own namespace's rule, the one in `default` the service namespace's.
    expect(
      buildSidecarContext(snapshot, proxy('other')).snapshot.destinationRule(
        'reviews.default.svc.cluster.local',
      )?.metadata.name,
    ).toBe('reviews-other');
    expect(
      buildSidecarContext(snapshot, proxy('default')).snapshot.destinationRule(
        'reviews.default.svc.cluster.local',
      )?.metadata.name,
    ).toBe('reviews');
    // The snapshot itself keeps its namespace-less lookup: the oldest rule.
    expect(snapshot.destinationRule('reviews.default.svc.cluster.local')?.metadata.name).toBe(
      'reviews-other',
    );
  });
});
