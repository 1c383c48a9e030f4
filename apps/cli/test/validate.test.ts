import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'meshctl-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function meshctl(args: string[], input?: string) {
  return spawnSync(process.execPath, [MESHCTL, ...args], { encoding: 'utf8', timeout: 30_000, input });
}

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`;

const JSON_STRICT = {
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace: 'istio-system' },
  spec: { mtls: { mode: 'STRICT' } },
};

const BAD_SPLIT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 0
    - destination: {host: reviews, subset: v2}
      weight: 0
`;

const TYPO = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  trafic_policy:
    tls: {mode: ISTIO_MUTUAL}
`;

describe('meshctl validate', () => {
  it('exits 0 and says so when everything is valid', () => {
    writeFileSync(join(dir, 'strict.yaml'), STRICT);
    const result = meshctl(['validate', '-f', join(dir, 'strict.yaml')]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('✔ No validation issues found in 1 resources from 1 files.');
  });

  it('prints each error with code, resource, file:line and field path, and exits 1', () => {
    mkdirSync(join(dir, 'tree', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'nested', 'reviews.yaml'), `${STRICT}---\n${BAD_SPLIT}---\n${TYPO}`);
    const file = join(dir, 'tree', 'nested', 'reviews.yaml');
    const result = meshctl(['validate', '-f', join(dir, 'tree')]);
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([
      `Error [WEIGHT_INVALID] (VirtualService default/reviews ${file}:18) spec.http[0].route: total destination weight = 0`,
      `Error [SCHEMA_UNKNOWN_FIELD] (DestinationRule ratings ${file}:30) spec.trafic_policy: unknown field "trafic_policy"`,
      '2 errors, 0 warnings in 3 resources from 1 files.',
    ]);
  });

  it('prints the same findings as JSON with -o json, reading stdin with -f -', () => {
    const result = meshctl(['validate', '-f', '-', '-o', 'json'], `${BAD_SPLIT}---\n${TYPO}`);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as {
      errors: number;
      findings: { code: string; path: string; source: { file: string; line: number } }[];
    };
    expect(report.errors).toBe(2);
    expect(report.findings.map((f) => `${f.code} ${f.path} ${f.source.file}:${f.source.line}`)).toEqual([
      'WEIGHT_INVALID spec.http[0].route <stdin>:9',
      'SCHEMA_UNKNOWN_FIELD spec.trafic_policy <stdin>:21',
    ]);
  });

  it('checks a directory as istiod reads it: the same files, the same refusals', () => {
    const tree = join(dir, 'as-istiod');
    mkdirSync(join(tree, 'nested'), { recursive: true });
    writeFileSync(join(tree, 'strict.YML'), STRICT);
    writeFileSync(
      join(tree, 'nested', 'typo.json'),
      JSON.stringify({ ...JSON_STRICT, kind: 'PeerAuthenticaton' }),
    );
    writeFileSync(join(tree, 'huge.yaml'), `#${'x'.repeat(10 * 1024 * 1024)}\n`);
    // Not config to istiod: an editor's backup and a file of another type.
    writeFileSync(join(tree, '.strict.yaml'), BAD_SPLIT);
    writeFileSync(join(tree, 'notes.txt'), BAD_SPLIT);

    const result = meshctl(['validate', '-f', tree, '-o', 'json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as {
      files: string[];
      findings: { code: string; message: string }[];
    };
    expect(report.files).toEqual(['huge.yaml', 'nested/typo.json', 'strict.YML'].map((f) => join(tree, f)));
    expect(report.findings.map((f) => `${f.code} ${f.message}`)).toEqual([
      'SIZE_LIMIT the file is 10485762 bytes, above the limit of 10 MiB per config file; split it',
      'API_VERSION_NOT_SERVED no matches for kind "PeerAuthenticaton" in version "security.istio.io/v1"',
    ]);
  });

  it("reads an EnvoyFilter patch value as the Envoy message of applyTo, as Istio's webhook does", () => {
    const file = join(dir, 'envoy-filter.yaml');
    writeFileSync(
      file,
      `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata:
  name: lua
  namespace: default
spec:
  configPatches:
  - applyTo: HTTP_FILTER
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.filters.http.lua
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
          default_source_code: {inline_string: "function envoy_on_request(h) end"}
          stat_prefix: 7
`,
    );
    const result = meshctl(['validate', '-f', file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `Error [ENVOY_FILTER_INVALID] (EnvoyFilter default/lua ${file}:16) ` +
        'spec.configPatches[0].patch.value.typed_config.stat_prefix: Envoy filter: expected a string, got number 7',
    );
  });

  it('exits 2 for a path that does not exist', () => {
    const result = meshctl(['validate', '-f', join(dir, 'missing.yaml')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ENOENT');
  });
});
