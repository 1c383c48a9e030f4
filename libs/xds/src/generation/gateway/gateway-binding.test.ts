import type { Server, VirtualService } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { TypeUrl } from '../../type-urls.js';
import { buildSidecarContext, type SidecarProxy } from '../sidecar/sidecar-context.js';
import { generateSidecar } from '../sidecar/sidecar-generator.js';
import {
  bindsTo,
  gatewaysSelecting,
  matchingHosts,
  resolveGatewayName,
  virtualServicesBoundTo,
} from './gateway-binding.js';
import { buildGatewayContext } from './gateway-context.js';
import { generateGateway } from './gateway-generator.js';

/** Istio's binding rules as tables: which VirtualService applies where, which host a server exposes. */

const SUFFIX = 'cluster.local';

function vs(hosts: string[], gateways?: string[]): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'v' },
    spec: { hosts, ...(gateways ? { gateways } : {}) },
  } as VirtualService;
}

function server(hosts: string[]): Server {
  return { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts };
}

describe('resolveGatewayName', () => {
  it.each([
    ['gw', 'web', 'web/gw'],
    ['istio-system/gw', 'web', 'istio-system/gw'],
    ['mesh', 'web', 'mesh'],
    ['gw.istio-system.svc.cluster.local', 'web', 'istio-system/gw'],
  ])('%s from namespace %s is %s', (entry, namespace, key) => {
    expect(resolveGatewayName(entry, namespace)).toBe(key);
  });
});

describe('bindsTo: a VirtualService applies to the gateways it names, and to sidecars through `mesh`', () => {
  it.each([
    { gateways: undefined, ns: 'web', key: 'mesh', binds: true },
    { gateways: undefined, ns: 'web', key: 'web/gw', binds: false },
    { gateways: ['gw'], ns: 'web', key: 'web/gw', binds: true },
    { gateways: ['gw'], ns: 'web', key: 'mesh', binds: false },
    { gateways: ['mesh', 'gw'], ns: 'web', key: 'mesh', binds: true },
    { gateways: ['mesh', 'gw'], ns: 'web', key: 'web/gw', binds: true },
    { gateways: ['gw'], ns: 'web', key: 'istio-system/gw', binds: false },
    { gateways: ['istio-system/gw'], ns: 'web', key: 'istio-system/gw', binds: true },
    { gateways: ['istio-system/gw'], ns: 'web', key: 'web/gw', binds: false },
  ])('gateways $gateways in $ns → $key: $binds', ({ gateways, ns, key, binds }) => {
    expect(bindsTo(vs(['a.com'], gateways), ns, key)).toBe(binds);
  });
});

describe('matchingHosts: the virtual hosts a VirtualService gets on a server', () => {
  it.each([
    { server: ['*'], vsHosts: ['bookinfo.com'], vsNs: 'default', hosts: ['bookinfo.com'] },
    { server: ['*.example.com'], vsHosts: ['a.example.com'], vsNs: 'default', hosts: ['a.example.com'] },
    { server: ['a.example.com'], vsHosts: ['*.example.com'], vsNs: 'default', hosts: ['a.example.com'] },
    { server: ['web/x.com'], vsHosts: ['x.com'], vsNs: 'web', hosts: ['x.com'] },
    { server: ['*/x.com'], vsHosts: ['x.com'], vsNs: 'web', hosts: ['x.com'] },
    { server: ['./x.com'], vsHosts: ['x.com'], vsNs: 'istio-system', hosts: ['x.com'] },
    { server: ['*'], vsHosts: ['reviews'], vsNs: 'web', hosts: ['reviews.web.svc.cluster.local'] },
    // Must not bind: another namespace, another host, a wildcard that does not cover the bare domain.
    { server: ['web/x.com'], vsHosts: ['x.com'], vsNs: 'shop', hosts: [] },
    { server: ['./x.com'], vsHosts: ['x.com'], vsNs: 'web', hosts: [] },
    { server: ['foo.com'], vsHosts: ['bar.com'], vsNs: 'default', hosts: [] },
    { server: ['*.example.com'], vsHosts: ['example.com'], vsNs: 'default', hosts: [] },
    { server: ['a.example.com'], vsHosts: ['*.other.com'], vsNs: 'default', hosts: [] },
  ])(
    'server $server, VirtualService $vsHosts in $vsNs → $hosts',
    ({ server: hosts, vsHosts, vsNs, hosts: want }) => {
      expect(matchingHosts(server(hosts), 'istio-system', vs(vsHosts), vsNs, SUFFIX)).toEqual(want);
    },
  );
});

const MESH = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 8000 }]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 8080, name: http, protocol: HTTP }, hosts: ['*'] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: gateway-only, namespace: default }
spec:
  hosts: [web]
  gateways: [gw]
  http: [{ route: [{ destination: { host: web, subset: from-gateway } }] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: both, namespace: default }
spec:
  hosts: [web.example.com]
  gateways: [mesh, gw]
  http:
    - match: [{ gateways: [mesh], uri: { prefix: /mesh-only } }]
      route: [{ destination: { host: web, subset: mesh-only } }]
    - route: [{ destination: { host: web, subset: both } }]
`;

const ROUTER: SidecarProxy = {
  id: 'router~10.0.0.20~gw-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { istio: 'ingressgateway' },
  ipAddresses: ['10.0.0.20'],
  serviceAccount: 'gw',
};
const SIDECAR: SidecarProxy = {
  ...ROUTER,
  id: 'sidecar~10.0.0.9~app-1.default~default.svc.cluster.local',
  labels: { app: 'app' },
};

/** Every cluster the routes of a generated RDS answer send to. */
function routedClusters(routes: object[]): string[] {
  return JSON.stringify(routes).match(/outbound\|[^"]*/g) ?? [];
}

describe('binding through generation', () => {
  const snapshot = MeshSnapshot.fromYaml(MESH, 'mesh.yaml');

  it('selects Gateways by the workload labels only', () => {
    expect(gatewaysSelecting(snapshot, { istio: 'ingressgateway' }).map((g) => g.key)).toEqual([
      'default/gw',
    ]);
    expect(gatewaysSelecting(snapshot, { istio: 'egressgateway' })).toEqual([]);
  });

  it('a gateway gets gateway-only and [mesh, gw] VirtualServices, without the mesh-only match', () => {
    const ctx = buildGatewayContext(snapshot, ROUTER);
    const routes = generateGateway(ctx, {
      typeUrl: TypeUrl.RouteConfiguration,
      wildcard: true,
      names: new Set(),
    });
    const clusters = routedClusters(routes);
    expect(clusters).toContain('outbound|8080|from-gateway|web.default.svc.cluster.local');
    expect(clusters).toContain('outbound|8080|both|web.default.svc.cluster.local');
    expect(clusters.some((c) => c.includes('mesh-only'))).toBe(false);
  });

  it('a sidecar never gets a VirtualService bound only to a gateway', () => {
    const ctx = buildSidecarContext(snapshot, SIDECAR);
    const routes = generateSidecar(ctx, {
      typeUrl: TypeUrl.RouteConfiguration,
      wildcard: true,
      names: new Set(),
    });
    const clusters = routedClusters(routes);
    expect(clusters.some((c) => c.includes('from-gateway'))).toBe(false);
    expect(clusters).toContain('outbound|8000||web.default.svc.cluster.local');
  });
});

describe('exportTo: a VirtualService binds only where it is visible from the gateway workload', () => {
  const config = (exportTo: string) => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop, namespace: web }
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  exportTo: ${exportTo}
  http: [{ route: [{ destination: { host: shop } }] }]
`;

  it.each([
    { exportTo: "['*']", bound: true },
    { exportTo: "['istio-system']", bound: true },
    // Must not bind: kept in its own namespace, or exported elsewhere.
    { exportTo: "['.']", bound: false },
    { exportTo: "['shop']", bound: false },
  ])('exportTo $exportTo → bound: $bound', ({ exportTo, bound }) => {
    const snapshot = MeshSnapshot.fromYaml(config(exportTo), 'x.yaml');
    const [gateway] = gatewaysSelecting(snapshot, { istio: 'ingressgateway' });
    if (!gateway) throw new Error('no gateway');
    expect(virtualServicesBoundTo(snapshot, gateway, 'istio-system').length).toBe(bound ? 1 : 0);
  });
});
