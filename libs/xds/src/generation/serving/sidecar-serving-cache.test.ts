import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { resourceTypeFor } from '../../resources/registry.js';
import { prepareResource, type XdsConnection } from '../../server/resource-source.js';
import { TypeUrl } from '../../type-urls.js';
import { generateProxyless } from '../proxyless-generator.js';
import { buildSidecarContext, DEFAULT_MESH_SETTINGS, sidecarProxyOf } from '../sidecar/sidecar-context.js';
import { generateSidecar } from '../sidecar/sidecar-generator.js';
import { SidecarServingCache } from './sidecar-serving-cache.js';

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
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: details, namespace: default}
spec:
  workloadSelector: {labels: {app: details}}
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
  egress:
  - port: {number: 5432, protocol: TCP, name: tcp-db}
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ['./*']
  - hosts: ['./*']
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`;

const sidecar = (pod: string, ip: string, app: string, generator?: 'grpc'): XdsConnection => ({
  id: pod,
  mode: 'sotw',
  peer: 'test',
  connectedAt: new Date(),
  node: {
    id: `sidecar~${ip}~${pod}.default~default.svc.cluster.local`,
    cluster: '',
    metadata: {
      NAMESPACE: 'default',
      LABELS: { app },
      INSTANCE_IPS: ip,
      SERVICE_ACCOUNT: app,
      ...(generator ? { GENERATOR: generator } : {}),
    },
  },
});

const TYPES = [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.ClusterLoadAssignment];

const prepared = (typeUrl: string, resources: object[]) =>
  resources.map((r) => prepareResource(typeUrl, resourceTypeFor(typeUrl)!.nameOf(r as never), r));
const nameAtVersion = (r: { name: string; version: string }) => `${r.name}@${r.version}`;

describe('sidecar config shared per scope', () => {
  const snapshot = MeshSnapshot.fromYaml(MESH, 'mesh.yaml');
  const proxies = [
    sidecar('reviews-1', '10.0.0.10', 'reviews'),
    sidecar('reviews-2', '10.0.0.11', 'reviews'),
    sidecar('productpage-1', '10.0.0.30', 'productpage'),
    // Its Sidecar declares listeners: an ingress one named like the shared 9080 hand-off, which wins.
    sidecar('details-1', '10.0.0.50', 'details'),
  ];

  it('gives each proxy exactly what generating for it alone would', () => {
    const source = new SidecarServingCache(snapshot, DEFAULT_MESH_SETTINGS, (what, error) => {
      throw new Error(`${what}: ${error.message}`);
    });
    for (const connection of proxies) {
      const ctx = buildSidecarContext(snapshot, sidecarProxyOf(connection.node));
      for (const typeUrl of TYPES) {
        const alone = prepared(typeUrl, generateSidecar(ctx, { typeUrl, wildcard: true, names: new Set() }));
        const served = source.resources({ connection, typeUrl, wildcard: true, names: new Set() });
        // In the same order too: both compose shared and own resources with the same functions.
        expect(served.map(nameAtVersion), `${typeUrl} for ${connection.id}`).toEqual(
          alone.map(nameAtVersion),
        );
        const named = new Set(alone.map((r) => r.name));
        const byName = source.resources({ connection, typeUrl, wildcard: false, names: named });
        expect(byName.map((r) => r.version).sort()).toEqual(alone.map((r) => r.version).sort());
      }
    }
  });

  it('encodes outbound config once for proxies in one scope, and routes per source labels when matched on', () => {
    const source = new SidecarServingCache(snapshot);
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
    // A declared ingress listener replaces the shared hand-off of its name: listed once, the proxy's own.
    const details = proxies[3]!;
    const listeners = source.resources({
      connection: details,
      typeUrl: TypeUrl.Listener,
      wildcard: true,
      names: new Set(),
    });
    expect(listeners.map((r) => r.name)).toEqual([
      'virtualOutbound',
      'virtualInbound',
      '0.0.0.0_5432',
      '127.0.0.1_5432',
      '0.0.0.0_9080',
    ]);
    expect(get(details, TypeUrl.Listener, '0.0.0.0_9080')).not.toBe(
      get(productpage, TypeUrl.Listener, '0.0.0.0_9080'),
    );
  });

  it('serves proxyless gRPC clients what generating for them alone would, shared per scope', () => {
    const source = new SidecarServingCache(snapshot, DEFAULT_MESH_SETTINGS, (what, error) => {
      throw new Error(`${what}: ${error.message}`);
    });
    const clients = [
      sidecar('client-1', '10.0.0.40', 'client', 'grpc'),
      sidecar('client-2', '10.0.0.41', 'client', 'grpc'),
    ] as [XdsConnection, XdsConnection];
    for (const connection of clients) {
      const ctx = buildSidecarContext(snapshot, sidecarProxyOf(connection.node));
      for (const typeUrl of TYPES) {
        const alone = prepared(
          typeUrl,
          generateProxyless(ctx, { typeUrl, wildcard: true, names: new Set() }),
        );
        const served = source.resources({ connection, typeUrl, wildcard: true, names: new Set() });
        expect(served.map(nameAtVersion), `${typeUrl} for ${connection.id}`).toEqual(
          alone.map(nameAtVersion),
        );
      }
    }
    const route = 'ratings.default.svc.cluster.local:9080';
    const get = (connection: XdsConnection) =>
      source.resources({
        connection,
        typeUrl: TypeUrl.RouteConfiguration,
        wildcard: false,
        names: new Set([route]),
      })[0];
    expect(get(clients[0])).toBeDefined();
    expect(get(clients[0])).toBe(get(clients[1]));
    // A sidecar asking for the same name gets the sidecar generator's answer (no port: empty), not the
    // proxyless client's.
    expect(get(proxies[0]!)?.version).not.toBe(get(clients[0])?.version);
  });
});
