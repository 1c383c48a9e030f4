import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseConfigFile } from '@mesh/policy';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

import { restoreAppliedSet } from '../src/local/applied-config.js';
import { prepareConfigDir } from '../src/local/config-dir.js';
import { privateDir } from '../src/local/state-dir.js';

/**
 * `meshctl local apply` and `delete` (the built CLI) on a state directory whose run state names this
 * test process as the supervisor, so they see a running mesh: what they leave in the config directory
 * istiod watches, resource by resource.
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const root = mkdtempSync(join(tmpdir(), 'meshctl-apply-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let stateDir: string;
let configDir: string;

function meshctl(...args: string[]) {
  const result = spawnSync(process.execPath, [MESHCTL, 'local', ...args, '--state-dir', stateDir], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(path: string, yaml: string): string {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, yaml);
  return full;
}

/** The resources istiod reads from what apply left in the config directory, as `Kind ns/name: spec`. */
function served(): string[] {
  const path = join(configDir, 'applied.yaml');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return [...parseConfigFile(text, path, () => '0').configs.values()].map(
    (c) => `${c.kind} ${c.namespace}/${c.name}: ${JSON.stringify(c.object['spec'])}`,
  );
}

const denyAll = (namespace = 'default') => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-all, namespace: ${namespace} }
spec: {}
`;
const route = (weight: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web }
spec:
  hosts: [web]
  http: [{ route: [{ destination: { host: web }, weight: ${weight} }] }]
`;

beforeEach(() => {
  stateDir = mkdtempSync(join(root, 'state-'));
  configDir = join(stateDir, 'config');
  privateDir(join(stateDir, 'local'));
  privateDir(configDir);
  const state = { supervisorPid: process.pid, ready: true, configDir, instances: [] };
  writeFileSync(join(stateDir, 'local', 'run.json'), JSON.stringify(state));
});

describe('meshctl local apply and delete', () => {
  it('track resources by identity: same file name in two directories, delete removes only its own', () => {
    const a = file('a/policy.yaml', denyAll());
    const b = file('b/policy.yaml', route(100));
    expect(meshctl('apply', '-f', a).stdout).toBe('AuthorizationPolicy default/deny-all created\n');
    expect(meshctl('apply', '-f', b).stdout).toBe('VirtualService default/web created\n');
    expect(served()).toEqual([
      'AuthorizationPolicy default/deny-all: {}',
      expect.stringMatching(/^VirtualService default\/web: /),
    ]);

    expect(meshctl('delete', '-f', a).stdout).toBe('AuthorizationPolicy default/deny-all deleted\n');
    expect(served()).toEqual([expect.stringMatching(/^VirtualService default\/web: /)]);
    for (const name of ['applied.yaml', 'config/applied.yaml'])
      expect(statSync(join(stateDir, name)).mode & 0o777).toBe(0o600);
  });

  it('replace a resource applied from another file, and say what changed', () => {
    meshctl('apply', '-f', file('one.yaml', route(100)));
    const other = file(
      'elsewhere/other-name.yaml',
      route(100).replace('weight: 100', 'weight: 100, headers: {}'),
    );
    expect(meshctl('apply', '-f', other).stdout).toBe('VirtualService default/web configured\n');
    expect(meshctl('apply', '-f', other).stdout).toBe('VirtualService default/web unchanged\n');
    expect(served()).toHaveLength(1);
    // The resource, not the file: deleting through the first file removes what the second applied.
    expect(meshctl('delete', '-f', join(root, 'one.yaml')).code).toBe(0);
    expect(served()).toEqual([]);
  });

  it('apply all the files or none', () => {
    const good = file('good.yaml', denyAll());
    const bad = file('bad.yaml', route(-5));
    const result = meshctl('apply', '-f', good, '-f', bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing applied');
    expect(result.stderr).toContain(`${bad}:6`);
    expect(served()).toEqual([]);
    expect(meshctl('apply', '-f', join(root, 'missing.yaml')).stderr).toMatch(
      /missing\.yaml: cannot read it \(ENOENT\)/,
    );
  });

  it('refuses an EnvoyFilter whose patch value istiod would refuse, naming the field inside patch.value', () => {
    const filter = file(
      'envoy-filter.yaml',
      'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: { name: c, namespace: default }\n' +
        'spec:\n  configPatches:\n  - applyTo: CLUSTER\n    patch:\n      operation: ADD\n' +
        '      value: { name: c, connect_timeout: 5 }\n',
    );
    const result = meshctl('apply', '-f', filter);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('spec.configPatches[0].patch.value.connect_timeout');
    expect(served()).toEqual([]);
  });

  it('delete exactly what the file names, or nothing when one of them was not applied', () => {
    meshctl('apply', '-f', file('both.yaml', `${denyAll()}---\n${route(100)}`));
    const result = meshctl('delete', '-f', file('mixed.yaml', `${denyAll()}---\n${denyAll('other')}`));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing deleted');
    expect(result.stderr).toContain('AuthorizationPolicy other/deny-all was not applied');
    expect(served()).toHaveLength(2);
    expect(meshctl('delete', '-f', file('only-policy.yaml', denyAll())).code).toBe(0);
    expect(served()).toEqual([expect.stringMatching(/^VirtualService default\/web: /)]);
  });
});

describe('the applied set across local up', () => {
  it('stays in the state directory and goes back into the fresh config directory', () => {
    meshctl('apply', '-f', file('kept.yaml', denyAll()));
    const meshConfig = file('mesh-config/services.yaml', route(100));
    prepareConfigDir(configDir, [meshConfig]); // what `local up` does first: the copy is recreated
    expect(served()).toEqual([]);
    restoreAppliedSet(stateDir, configDir);
    expect(served()).toEqual(['AuthorizationPolicy default/deny-all: {}']);
    expect(readFileSync(join(configDir, 'mesh', 'services.yaml'), 'utf8')).toBe(route(100));
  });
});
