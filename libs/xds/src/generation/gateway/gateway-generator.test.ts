import { join } from 'node:path';

import { loadYaml } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { expectGolden, expectValidEnvoy, goldenCases, readCase } from '../../../test/golden.js';
import { TypeUrl } from '../../type-urls.js';
import type { SidecarProxy } from '../sidecar/sidecar-context.js';
import { buildGatewayContext } from './gateway-context.js';
import { generateGateway } from './gateway-generator.js';

/**
 * Golden tests: `testdata/gateway/<case>.in.yaml` → `<case>.out.yaml`: the listeners and routes of an
 * ingress gateway (`router~` node labelled `istio: ingressgateway`), its cluster names and the problems
 * of servers left out. `UPDATE_GOLDEN=1 npx vitest run` rewrites the outputs.
 */
const DIR = join(import.meta.dirname, '..', 'testdata', 'gateway');

const INGRESS: SidecarProxy = {
  id: 'router~10.0.0.20~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local',
  namespace: 'istio-system',
  labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
  ipAddresses: ['10.0.0.20'],
  serviceAccount: 'istio-ingressgateway-service-account',
};

function all(typeUrl: string, ctx: ReturnType<typeof buildGatewayContext>): object[] {
  return generateGateway(ctx, { typeUrl, wildcard: true, names: new Set() });
}

describe('gateway listeners and routes (golden)', () => {
  it.each(goldenCases(DIR))('%s', (name) => {
    const text = readCase(DIR, name);
    expect(loadYaml(text, `${name}.in.yaml`).findings).toEqual([]);
    const ctx = buildGatewayContext(MeshSnapshot.fromYaml(text, `${name}.in.yaml`), INGRESS);
    const listeners = all(TypeUrl.Listener, ctx);
    const routes = all(TypeUrl.RouteConfiguration, ctx);
    const clusters = all(TypeUrl.Cluster, ctx);
    expectValidEnvoy(TypeUrl.Listener, listeners);
    expectValidEnvoy(TypeUrl.RouteConfiguration, routes);
    expectValidEnvoy(TypeUrl.Cluster, clusters);
    const clusterNames = clusters.map((c) => (c as { name: string }).name);
    // AUTO_PASSTHROUGH's SNI-DNAT clusters and their (mTLS-only) endpoints in full; other clusters by name.
    const sniDnat = clusters.filter((c) => (c as { name: string }).name.startsWith('outbound_.'));
    const endpoints = all(TypeUrl.ClusterLoadAssignment, ctx).filter((e) =>
      (e as { cluster_name: string }).cluster_name.startsWith('outbound_.'),
    );
    expectValidEnvoy(TypeUrl.ClusterLoadAssignment, endpoints);
    expectGolden(DIR, name, {
      problems: ctx.problems,
      listeners,
      routes,
      clusters: clusterNames,
      ...(sniDnat.length > 0 ? { sniDnatClusters: sniDnat, sniDnatEndpoints: endpoints } : {}),
    });
  });

  it('serves a named route configuration, and an empty one for an unknown name', () => {
    const ctx = buildGatewayContext(MeshSnapshot.fromYaml(readCase(DIR, 'http-bookinfo'), 'x.yaml'), INGRESS);
    const names = new Set(['http.8080', 'http.9999']);
    const routes = generateGateway(ctx, { typeUrl: TypeUrl.RouteConfiguration, wildcard: false, names });
    expect(routes.map((r) => (r as { name: string }).name)).toEqual(['http.8080', 'http.9999']);
    expect((routes[1] as { virtual_hosts: unknown[] }).virtual_hosts).toEqual([]);
  });

  it('gives a proxy no Gateway selects nothing to listen on', () => {
    const other = { ...INGRESS, labels: { istio: 'egressgateway' } };
    const ctx = buildGatewayContext(MeshSnapshot.fromYaml(readCase(DIR, 'http-bookinfo'), 'x.yaml'), other);
    expect(all(TypeUrl.Listener, ctx)).toEqual([]);
    expect(all(TypeUrl.RouteConfiguration, ctx)).toEqual([]);
  });
});
