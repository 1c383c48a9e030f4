import { readdirSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { validateYaml } from './validate-yaml.js';

/**
 * Every complete Istio resource in the tutorials our users follow (../shared/seeds) must validate
 * cleanly. The tutorials flatten some YAML onto one line; the fixtures are the same YAML re-indented.
 */
const dir = new URL('./testdata/seeds/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

const expected: Record<string, string[]> = {
  '000-strict-mtls-mesh-wide.yaml': ['PeerAuthentication istio-system/default'],
  '000-pod-without-sidecar.yaml': ['Pod /no-sidecar-pod'],
  '001-authorization-policies.yaml': [
    'AuthorizationPolicy default/allow-frontend-to-backend',
    'AuthorizationPolicy backend-ns/allow-frontend-ns-to-backend-ns',
    'AuthorizationPolicy default/deny-all',
  ],
  '001-mtls-frontend-backend.yaml': [
    'PeerAuthentication default/default-strict-mtls',
    'DestinationRule default/backend-mtls',
  ],
};

describe('tutorial resources (seeds)', () => {
  it('has a fixture for every tutorial file that contains complete resources', () => {
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(files)('%s loads and validates without findings', (file) => {
    const result = validateYaml(readFileSync(new URL(file, dir), 'utf8'), file);
    expect(result.resources.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual(expected[file]);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});
