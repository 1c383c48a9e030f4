import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadYaml, MeshSnapshot, type StoredConfig } from '@mesh/policy';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { resourceTypeFor } from '../resources/registry.js';
import { PUSH_ORDER, shortNameOf } from '../type-urls.js';
import { generateProxyless } from './proxyless-generator.js';

/**
 * Golden tests: `testdata/proxyless/<case>.in.yaml` (Istio and Kubernetes YAML) → `<case>.out.yaml`
 * (every Envoy resource a wildcard proxyless client receives, by type). `UPDATE_GOLDEN=1 npx vitest run`
 * rewrites the outputs; review the diff like code.
 */
const DIR = join(import.meta.dirname, 'testdata', 'proxyless');
const CASES = readdirSync(DIR)
  .filter((f) => f.endsWith('.in.yaml'))
  .map((f) => f.slice(0, -'.in.yaml'.length));

function snapshotOf(file: string): MeshSnapshot {
  const { resources, findings } = loadYaml(readFileSync(file, 'utf8'), file);
  expect(findings).toEqual([]);
  const configs: StoredConfig[] = resources.map((r, i) => ({
    apiVersion: r.apiVersion,
    kind: r.kind,
    namespace: r.namespace || 'default',
    name: r.name,
    object: r.object,
    resourceVersion: String(i),
  }));
  return new MeshSnapshot(configs);
}

describe('proxyless gRPC generation (golden)', () => {
  it.each(CASES)('%s', (name) => {
    const snapshot = snapshotOf(join(DIR, `${name}.in.yaml`));
    const output: Record<string, object[]> = {};
    for (const typeUrl of PUSH_ORDER.filter((t) => t !== PUSH_ORDER[4])) {
      const resources = generateProxyless(snapshot, { typeUrl, wildcard: true, names: new Set() });
      const type = resourceTypeFor(typeUrl)!;
      for (const resource of resources) {
        // Everything generated must be valid Envoy config that survives the wire.
        expect(type.validate(type.decode(type.encode(resource)))).toEqual([]);
      }
      output[shortNameOf(typeUrl)] = resources;
    }
    const golden = join(DIR, `${name}.out.yaml`);
    const text = stringify(output, { lineWidth: 0, aliasDuplicateObjects: false });
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
    expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('answers named requests with only what exists', () => {
    const snapshot = snapshotOf(join(DIR, 'canary-with-header.in.yaml'));
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
