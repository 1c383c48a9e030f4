import { MeshSnapshot } from '@mesh/policy';
import {
  buildSidecarContext,
  generateSidecar,
  prepareResource,
  resourceTypeFor,
  sidecarProxyOf,
  TypeUrl,
  type XdsConnection,
} from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { MeshResourceSource } from '../src/xds/mesh-resource-source.js';

const MESH = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}, {name: tcp-db, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-1, namespace: default}
spec: {address: 10.0.0.20, labels: {app: ratings}, serviceAccount: ratings}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{sourceLabels: {app: reviews}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route: [{destination: {host: ratings}}]
  - route: [{destination: {host: ratings}}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`;

const sidecar = (pod: string, ip: string, app: string): XdsConnection => ({
  id: pod,
  mode: 'sotw',
  peer: 'test',
  connectedAt: new Date(),
  node: {
    id: `sidecar~${ip}~${pod}.default~default.svc.cluster.local`,
    cluster: '',
    metadata: { NAMESPACE: 'default', LABELS: { app }, INSTANCE_IPS: ip, SERVICE_ACCOUNT: app },
  },
});

const TYPES = [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.ClusterLoadAssignment];

describe('sidecar config shared per scope', () => {
  const snapshot = MeshSnapshot.fromYaml(MESH, 'mesh.yaml');
  const proxies = [
    sidecar('reviews-1', '10.0.0.10', 'reviews'),
    sidecar('reviews-2', '10.0.0.11', 'reviews'),
    sidecar('productpage-1', '10.0.0.30', 'productpage'),
  ];

  it('gives each proxy exactly what generating for it alone would', () => {
    const source = new MeshResourceSource(snapshot, (what, error) => {
      throw new Error(`${what}: ${error.message}`);
    });
    for (const connection of proxies) {
      const ctx = buildSidecarContext(snapshot, sidecarProxyOf(connection.node));
      for (const typeUrl of TYPES) {
        const alone = generateSidecar(ctx, { typeUrl, wildcard: true, names: new Set() }).map((r) =>
          prepareResource(typeUrl, resourceTypeFor(typeUrl)!.nameOf(r as never), r),
        );
        const served = source.resources({ connection, typeUrl, wildcard: true, names: new Set() });
        expect(served.map((r) => `${r.name}@${r.version}`).sort(), `${typeUrl} for ${connection.id}`).toEqual(
          alone.map((r) => `${r.name}@${r.version}`).sort(),
        );
        const named = new Set(alone.map((r) => r.name));
        const byName = source.resources({ connection, typeUrl, wildcard: false, names: named });
        expect(byName.map((r) => r.version).sort()).toEqual(alone.map((r) => r.version).sort());
      }
    }
  });

  it('encodes outbound config once for proxies in one scope, and routes per source labels when matched on', () => {
    const source = new MeshResourceSource(snapshot);
    const get = (connection: XdsConnection, typeUrl: string, name: string) =>
      source
        .resources({ connection, typeUrl, wildcard: false, names: new Set([name]) })
        .find((r) => r.name === name);
    const [reviews1, reviews2, productpage] = proxies as [XdsConnection, XdsConnection, XdsConnection];
    const cluster = 'outbound|9080||ratings.default.svc.cluster.local';
    expect(get(reviews1, TypeUrl.Cluster, cluster)).toBe(get(productpage, TypeUrl.Cluster, cluster));
    expect(get(reviews1, TypeUrl.ClusterLoadAssignment, cluster)).toBe(
      get(productpage, TypeUrl.ClusterLoadAssignment, cluster),
    );
    // The VirtualService matches on sourceLabels, so routes differ by the proxy's labels.
    expect(get(reviews1, TypeUrl.RouteConfiguration, '9080')).toBe(
      get(reviews2, TypeUrl.RouteConfiguration, '9080'),
    );
    expect(get(reviews1, TypeUrl.RouteConfiguration, '9080')?.version).not.toBe(
      get(productpage, TypeUrl.RouteConfiguration, '9080')?.version,
    );
    // Each proxy's own inbound listener stays its own.
    expect(get(reviews1, TypeUrl.Listener, 'virtualInbound')).not.toBe(
      get(productpage, TypeUrl.Listener, 'virtualInbound'),
    );
  });
});
