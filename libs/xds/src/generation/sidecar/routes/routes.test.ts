import { join } from 'node:path';

import { loadYaml } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { expectGolden, expectValidEnvoy, goldenCases, readCase } from '../../../../test/golden.js';
import { TypeUrl } from '../../../type-urls.js';
import {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  type MeshSettings,
  type SidecarContext,
  type SidecarProxy,
} from '../sidecar-context.js';
import { generateSidecarRoutes } from './sidecar-routes.js';

/**
 * Golden tests: `testdata/sidecar-routes/<case>.in.yaml` → `<case>.out.yaml`, the outbound route
 * configurations of a productpage sidecar in `default`. `UPDATE_GOLDEN=1 npx vitest run` rewrites them.
 */
const DIR = join(import.meta.dirname, '..', '..', 'testdata', 'sidecar-routes');
const CASES = goldenCases(DIR);

const PRODUCTPAGE: SidecarProxy = {
  id: 'sidecar~10.0.0.9~productpage-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'productpage', version: 'v1' },
  ipAddresses: ['10.0.0.9'],
  serviceAccount: 'productpage',
};

/** Mesh settings that differ from Istio's defaults, by case. */
const MESH: Readonly<Record<string, Partial<MeshSettings>>> = {
  'registry-only': { outboundTrafficPolicy: 'REGISTRY_ONLY' },
};

function contextOf(name: string): SidecarContext {
  const text = readCase(DIR, name);
  expect(loadYaml(text, `${name}.in.yaml`).findings).toEqual([]);
  const snapshot = MeshSnapshot.fromYaml(text, `${name}.in.yaml`);
  return buildSidecarContext(snapshot, PRODUCTPAGE, { ...DEFAULT_MESH_SETTINGS, ...MESH[name] });
}

describe('sidecar outbound RDS (golden)', () => {
  it.each(CASES)('%s', (name) => {
    const routes = generateSidecarRoutes(contextOf(name));
    expectValidEnvoy(TypeUrl.RouteConfiguration, routes);
    expectGolden(DIR, name, routes);
  });

  it('answers only the route configurations asked for', () => {
    const ctx = contextOf('plain-http');
    const names = (routes: object[]) => routes.map((r) => (r as { name: string }).name);
    expect(names(generateSidecarRoutes(ctx))).toEqual(['80', '7070', '9080']);
    const asked = generateSidecarRoutes(ctx, new Set(['9080', '3306', 'http_proxy']));
    expectValidEnvoy(TypeUrl.RouteConfiguration, asked);
    expect(names(asked)).toEqual(['3306', '9080', 'http_proxy']);
    // A port without HTTP services still answers with the catch-all; an unknown name, empty.
    expect(asked[0]).toMatchObject({ virtual_hosts: [{ name: 'allow_any' }] });
    expect(asked[2]).toMatchObject({ virtual_hosts: [] });
  });

  it('never repeats a domain across the virtual hosts of one route configuration', () => {
    for (const name of CASES) {
      for (const rc of generateSidecarRoutes(contextOf(name)) as {
        virtual_hosts: { domains: string[] }[];
      }[]) {
        const domains = rc.virtual_hosts.flatMap((vh) => vh.domains);
        expect(new Set(domains).size).toBe(domains.length);
      }
    }
  });
});
