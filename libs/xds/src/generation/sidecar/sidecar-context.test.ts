import { MeshSnapshot } from '@mesh/policy';
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
