import { join } from 'node:path';

import { loadYaml } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { expectGolden, expectValidEnvoy, goldenCases, readCase } from '../../../test/golden.js';
import { TypeUrl } from '../../type-urls.js';
import { generateSidecar } from '../sidecar/sidecar-generator.js';
import { buildSidecarContext, DEFAULT_MESH_SETTINGS, type SidecarProxy } from '../sidecar/sidecar-context.js';
import { buildGatewayContext } from './gateway-context.js';
import { generateGateway } from './gateway-generator.js';

/**
 * Golden tests of Istio's egress gateway pattern: `testdata/egress-gateway/<case>.in.yaml` →
 * `<case>.out.yaml`, both hops of one config under REGISTRY_ONLY: what a client sidecar in `default`
 * gets (its route configurations and the clusters to the egress gateway and the external host) and what
 * the egress gateway (`router~`, `istio: egressgateway` in istio-system) gets (listeners, routes).
 */
const DIR = join(import.meta.dirname, '..', 'testdata', 'egress-gateway');
const MESH = { ...DEFAULT_MESH_SETTINGS, outboundTrafficPolicy: 'REGISTRY_ONLY' as const };

const SLEEP: SidecarProxy = {
  id: 'sidecar~10.0.0.5~sleep-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'sleep' },
  ipAddresses: ['10.0.0.5'],
  serviceAccount: 'sleep',
};

const EGRESS: SidecarProxy = {
  id: 'router~10.0.0.30~istio-egressgateway-1.istio-system~istio-system.svc.cluster.local',
  namespace: 'istio-system',
  labels: { istio: 'egressgateway', app: 'istio-egressgateway' },
  ipAddresses: ['10.0.0.30'],
  serviceAccount: 'istio-egressgateway-service-account',
};

const all = { wildcard: true, names: new Set<string>() };
const named = (o: object) => (o as { name: string }).name;

describe("Istio's egress gateway pattern (golden)", () => {
  it.each(goldenCases(DIR))('%s', (name) => {
    const text = readCase(DIR, name);
    expect(loadYaml(text, `${name}.in.yaml`).findings).toEqual([]);
    const snapshot = MeshSnapshot.fromYaml(text, `${name}.in.yaml`);
    const client = buildSidecarContext(snapshot, SLEEP, MESH);
    const clientRoutes = generateSidecar(client, { typeUrl: TypeUrl.RouteConfiguration, ...all });
    // The clusters of the two hops: to the egress gateway (the subset carries the ISTIO_MUTUAL origination)
    // and from the gateway to the external host.
    const hops = (clusters: object[]) =>
      clusters.filter((c) => /\|(istio-egressgateway\.istio-system|edition\.cnn\.com)/.test(named(c)));
    const clientClusters = generateSidecar(client, { typeUrl: TypeUrl.Cluster, ...all });
    const gateway = buildGatewayContext(snapshot, EGRESS, MESH);
    const gatewayListeners = generateGateway(gateway, { typeUrl: TypeUrl.Listener, ...all });
    const gatewayRoutes = generateGateway(gateway, { typeUrl: TypeUrl.RouteConfiguration, ...all });
    const gatewayClusters = generateGateway(gateway, { typeUrl: TypeUrl.Cluster, ...all });
    expectValidEnvoy(TypeUrl.RouteConfiguration, [...clientRoutes, ...gatewayRoutes]);
    expectValidEnvoy(TypeUrl.Cluster, [...clientClusters, ...gatewayClusters]);
    expectValidEnvoy(TypeUrl.Listener, gatewayListeners);
    expectGolden(DIR, name, {
      sidecar: { routes: clientRoutes, clusters: hops(clientClusters) },
      gateway: {
        problems: gateway.problems,
        listeners: gatewayListeners,
        routes: gatewayRoutes,
        clusters: gatewayClusters.map(named),
      },
    });
  });
});
