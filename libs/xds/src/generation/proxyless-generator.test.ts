import { join } from 'node:path';

import { loadYaml } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { expectGolden, expectValidEnvoy, goldenCases, readCase } from '../../test/golden.js';
import { grpcJsXdsRejections } from '../../test/grpc-js-xds-decoders.js';
import { PUSH_ORDER, shortNameOf, TypeUrl } from '../type-urls.js';
import { generateProxyless } from './proxyless-generator.js';
import { generateSidecarRoutes } from './sidecar/routes/sidecar-routes.js';
import { buildSidecarContext, type SidecarContext, type SidecarProxy } from './sidecar/sidecar-context.js';

/**
 * Golden tests: `testdata/proxyless/<case>.in.yaml` (Istio and Kubernetes YAML) → `<case>.out.yaml`
 * (every Envoy resource a wildcard proxyless client in `default` receives, by type), each also accepted
 * by `@grpc/grpc-js-xds`'s own decoders. `UPDATE_GOLDEN=1 npx vitest run` rewrites the outputs; review
 * the diff like code.
 */
const DIR = join(import.meta.dirname, 'testdata', 'proxyless');
const CASES = goldenCases(DIR);

const CLIENT: SidecarProxy = {
  id: 'sidecar~10.0.0.9~client-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'client' },
  ipAddresses: ['10.0.0.9'],
  serviceAccount: 'client',
  proxylessGrpc: true,
};

function contextOf(name: string): SidecarContext {
  const text = readCase(DIR, name);
  expect(loadYaml(text, `${name}.in.yaml`).findings).toEqual([]);
  return buildSidecarContext(MeshSnapshot.fromYaml(text, `${name}.in.yaml`), CLIENT);
}

const XDS_TYPES = PUSH_ORDER.filter((t) => t !== TypeUrl.Secret);
const namesOf = (resources: object[]) =>
  resources.map(
    (r) =>
      (r as { name?: string; cluster_name?: string }).name ?? (r as { cluster_name: string }).cluster_name,
  );

describe('proxyless gRPC generation (golden)', () => {
  it.each(CASES)('%s', (name) => {
    const ctx = contextOf(name);
    const output: Record<string, object[]> = {};
    for (const typeUrl of XDS_TYPES) {
      const resources = generateProxyless(ctx, { typeUrl, wildcard: true, names: new Set() });
      expectValidEnvoy(typeUrl, resources);
      expect(grpcJsXdsRejections(typeUrl, resources), shortNameOf(typeUrl)).toEqual([]);
      output[shortNameOf(typeUrl)] = resources;
    }
    expectGolden(DIR, name, output);
  });

  it('answers named requests with only what exists and the client may see', () => {
    const ctx = contextOf('canary-with-header');
    const names = new Set([
      'reviews.default.svc.cluster.local:9080',
      'reviews.default.svc.cluster.local:1',
      'ratings.default.svc.cluster.local:9080',
    ]);
    for (const typeUrl of [TypeUrl.Listener, TypeUrl.RouteConfiguration])
      expect(namesOf(generateProxyless(ctx, { typeUrl, wildcard: false, names }))).toEqual([
        'reviews.default.svc.cluster.local:9080',
      ]);
    const clusters = new Set([
      'outbound|9080|v2|reviews.default.svc.cluster.local',
      'outbound|9080|v3|reviews.default.svc.cluster.local',
    ]);
    for (const typeUrl of [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment])
      expect(namesOf(generateProxyless(ctx, { typeUrl, wildcard: false, names: clusters }))).toEqual([
        'outbound|9080|v2|reviews.default.svc.cluster.local',
      ]);

    const scoped = contextOf('scope-gateways-and-grpc');
    const hidden = (typeUrl: string, name: string) =>
      generateProxyless(scoped, { typeUrl, wildcard: false, names: new Set([name]) });
    expect(hidden(TypeUrl.Listener, 'ledger.finance.svc.cluster.local:8080')).toEqual([]);
    expect(hidden(TypeUrl.RouteConfiguration, 'ledger.finance.svc.cluster.local:8080')).toEqual([]);
    expect(hidden(TypeUrl.Cluster, 'outbound|8080||ledger.finance.svc.cluster.local')).toEqual([]);
  });

  it('gives the virtual host a sidecar in its place gets, with the timeout where gRPC reads it', () => {
    const ctx = contextOf('canary-with-header');
    type VirtualHost = { name: string; routes: { route: Record<string, unknown> }[] };
    const [proxyless] = generateProxyless(ctx, {
      typeUrl: TypeUrl.RouteConfiguration,
      wildcard: false,
      names: new Set(['reviews.default.svc.cluster.local:9080']),
    }) as { virtual_hosts: VirtualHost[] }[];
    const sidecar = buildSidecarContext(ctx.snapshot, { ...CLIENT, proxylessGrpc: false });
    const [port] = generateSidecarRoutes(sidecar, new Set(['9080'])) as { virtual_hosts: VirtualHost[] }[];
    const fromSidecar = port!.virtual_hosts.find(
      (vh) => vh.name === 'reviews.default.svc.cluster.local:9080',
    );
    const grpcRoute = (vh: VirtualHost) =>
      vh.routes.map(({ route: { max_grpc_timeout, ...rest }, ...r }) => ({
        ...r,
        route: { ...rest, max_stream_duration: { max_stream_duration: max_grpc_timeout } },
      }));
    expect(proxyless!.virtual_hosts).toEqual([{ ...fromSidecar, routes: grpcRoute(fromSidecar!) }]);
  });
});
