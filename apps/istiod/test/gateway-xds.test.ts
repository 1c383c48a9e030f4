import { MeshSnapshot } from '@mesh/registry';
import { TypeUrl, type XdsConnection } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { MeshResourceSource } from '../src/xds/mesh-resource-source.js';

/** istiod serves a `router~` node the listeners and routes of the Gateways selecting it (issue 18). */

const MESH = `
apiVersion: v1
kind: Service
metadata: { name: productpage, namespace: default }
spec:
  selector: { app: productpage }
  ports: [{ name: http, port: 9080 }]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bookinfo-gateway, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: 8080, name: http, protocol: HTTP }
      hosts: ['*']
    - port: { number: 8443, name: https, protocol: HTTPS }
      hosts: ['*']
      tls: { mode: SIMPLE }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bookinfo, namespace: default }
spec:
  hosts: ['*']
  gateways: [bookinfo-gateway]
  http: [{ route: [{ destination: { host: productpage, port: { number: 9080 } } }] }]
`;

function connection(id: string): XdsConnection {
  return {
    id: 'c1',
    mode: 'sotw',
    peer: 'test',
    connectedAt: new Date(),
    node: { id, cluster: '', metadata: { NAMESPACE: 'default', LABELS: { istio: 'ingressgateway' } } },
  };
}

const GATEWAY = connection('router~10.0.0.20~gw-1.default~default.svc.cluster.local');

function names(source: MeshResourceSource, typeUrl: string, conn = GATEWAY): string[] {
  return source.resources({ connection: conn, typeUrl, wildcard: true, names: new Set() }).map((r) => r.name);
}

describe('MeshResourceSource for gateways', () => {
  it('serves a gateway its listeners, routes, clusters and endpoints, and reports a server left out once', () => {
    const errors: string[] = [];
    const source = new MeshResourceSource(MeshSnapshot.fromYaml(MESH, 'mesh.yaml'), (what, error) =>
      errors.push(`${what}: ${error.message}`),
    );
    expect(names(source, TypeUrl.Listener)).toEqual(['0.0.0.0_8080']);
    expect(names(source, TypeUrl.RouteConfiguration)).toEqual(['http.8080']);
    expect(names(source, TypeUrl.Cluster)).toEqual([
      'outbound|9080||productpage.default.svc.cluster.local',
      'BlackHoleCluster',
    ]);
    const endpoints = source.resources({
      connection: GATEWAY,
      typeUrl: TypeUrl.ClusterLoadAssignment,
      wildcard: false,
      names: new Set(['outbound|9080||productpage.default.svc.cluster.local']),
    });
    expect(endpoints.map((r) => r.name)).toEqual(['outbound|9080||productpage.default.svc.cluster.local']);
    expect(errors).toEqual([
      'gateway router~10.0.0.20~gw-1.default~default.svc.cluster.local: Gateway default/bookinfo-gateway: spec.servers[1].tls.credentialName: required for mode SIMPLE (certificate files on the gateway are not supported)',
    ]);
  });

  it('gives a sidecar of the same labels no gateway listener', () => {
    const source = new MeshResourceSource(MeshSnapshot.fromYaml(MESH, 'mesh.yaml'));
    const sidecar = connection('sidecar~10.0.0.21~gw-1.default~default.svc.cluster.local');
    expect(names(source, TypeUrl.Listener, sidecar)).not.toContain('0.0.0.0_8080');
  });
});
