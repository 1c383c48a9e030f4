import { join } from 'node:path';

import { loadYaml, MeshSnapshot } from '@mesh/policy';
import { describe, expect, it } from 'vitest';

import { expectGolden, expectValidEnvoy, goldenCases, readCase } from '../../test/golden.js';
import { PUSH_ORDER, shortNameOf } from '../type-urls.js';
import { generateProxyless } from './proxyless-generator.js';

/**
 * Golden tests: `testdata/proxyless/<case>.in.yaml` (Istio and Kubernetes YAML) → `<case>.out.yaml`
 * (every Envoy resource a wildcard proxyless client receives, by type). `UPDATE_GOLDEN=1 npx vitest run`
 * rewrites the outputs; review the diff like code.
 */
const DIR = join(import.meta.dirname, 'testdata', 'proxyless');
const CASES = goldenCases(DIR);

function snapshotOf(name: string): MeshSnapshot {
  const text = readCase(DIR, name);
  expect(loadYaml(text, `${name}.in.yaml`).findings).toEqual([]);
  return MeshSnapshot.fromYaml(text, `${name}.in.yaml`);
}

describe('proxyless gRPC generation (golden)', () => {
  it.each(CASES)('%s', (name) => {
    const snapshot = snapshotOf(name);
    const output: Record<string, object[]> = {};
    for (const typeUrl of PUSH_ORDER.filter((t) => t !== PUSH_ORDER[4])) {
      const resources = generateProxyless(snapshot, { typeUrl, wildcard: true, names: new Set() });
      expectValidEnvoy(typeUrl, resources);
      output[shortNameOf(typeUrl)] = resources;
    }
    expectGolden(DIR, name, output);
  });

  it('answers named requests with only what exists', () => {
    const snapshot = snapshotOf('canary-with-header');
    const names = new Set([
      'reviews.default.svc.cluster.local:9080',
      'reviews.default.svc.cluster.local:1',
      'ratings.default.svc.cluster.local:9080',
    ]);
    expect(
      generateProxyless(snapshot, { typeUrl: PUSH_ORDER[2]!, wildcard: false, names }).map(
        (l) => (l as { name: string }).name,
      ),
    ).toEqual(['reviews.default.svc.cluster.local:9080']);
    const clusters = new Set([
      'outbound|9080|v2|reviews.default.svc.cluster.local',
      'outbound|9080|v3|reviews.default.svc.cluster.local',
    ]);
    expect(
      generateProxyless(snapshot, { typeUrl: PUSH_ORDER[0]!, wildcard: false, names: clusters }).map(
        (c) => (c as { name: string }).name,
      ),
    ).toEqual(['outbound|9080|v2|reviews.default.svc.cluster.local']);
  });
});
