import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { PeerAuthentication } from '../api/resources.js';
import { effectivePeerAuthentication } from '../evaluation/peer-authentication.js';
import { configFilesIn, CONFIG_TREE_LISTING } from './config-files.js';
import { parseConfigFile, refuseOversizeFile } from './config-file.js';
import { ConfigTree } from './config-tree.js';
import { MAX_CONFIG_FILE_BYTES, MAX_FINDINGS_PER_FILE } from './input-limits.js';
import { parseLastGood, serializeLastGood } from './last-good-copy.js';

/** The config loader istiod's file store, `meshctl validate` and `meshctl local status` share. */

let version = 0;
const nextVersion = () => String(++version);

const peerAuthentication = (mode: string, namespace = 'default') => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
${namespace ? `  namespace: ${namespace}\n` : ''}spec:
  mtls: {mode: ${mode}}
`;

const dir = mkdtempSync(join(tmpdir(), 'config-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configFilesIn', () => {
  it('counts YAML and JSON files of the whole tree, any case, not hidden ones nor links, in path order', () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'nested', 'deeper'), { recursive: true });
    mkdirSync(join(tree, 'dir.yaml'));
    for (const file of ['b.yaml', 'a.YML', 'c.json', 'notes.txt', '.hidden.yaml', '.#b.yaml', 'yaml'])
      writeFileSync(join(tree, file), '');
    writeFileSync(join(tree, 'nested', 'deeper', 'd.yaml'), '');
    writeFileSync(join(tree, 'dir.yaml', 'e.yml'), '');
    symlinkSync(join(tree, 'b.yaml'), join(tree, 'link.yaml'));

    const files = configFilesIn(readdirSync(tree, CONFIG_TREE_LISTING));
    expect(files.map((f) => f.slice(tree.length + 1))).toEqual([
      'a.YML',
      'b.yaml',
      'c.json',
      'dir.yaml/e.yml',
      'nested/deeper/d.yaml',
    ]);
  });
});

describe('parseConfigFile', () => {
  it('puts a namespaced object without a namespace in default, object included, so that evaluators see it', () => {
    const parsed = parseConfigFile(
      `${peerAuthentication('STRICT', '')}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n`,
      'mtls.yaml',
      nextVersion,
    );
    expect([...parsed.configs.keys()]).toEqual(['PeerAuthentication/default/default', 'Namespace//apps']);
    expect(parsed.configs.get('PeerAuthentication/default/default')?.object['metadata']).toEqual({
      name: 'default',
      namespace: 'default',
    });
    expect(parsed.configs.get('Namespace//apps')?.object['metadata']).toEqual({ name: 'apps' });
    const policies = [...parsed.configs.values()]
      .filter((c) => c.kind === 'PeerAuthentication')
      .map((c) => c.object as unknown as PeerAuthentication);
    expect(effectivePeerAuthentication(policies, { namespace: 'default', labels: {} }).mode).toBe('STRICT');
  });

  it('counts every resource, keeps the valid ones and records the invalid ones by key', () => {
    const parsed = parseConfigFile(
      `${peerAuthentication('STRICTT')}---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n`,
      'mixed.yaml',
      nextVersion,
    );
    expect(parsed.resources).toBe(2);
    expect([...parsed.configs.keys()]).toEqual(['Service/default/web']);
    expect(parsed.rejected.get('PeerAuthentication/default/default')?.code).toBe('SCHEMA_ENUM');
    expect(parsed.hiddenBy).toBeUndefined();
  });

  it('refuses an unknown kind of an Istio group as no CRD serves it, hiding what the file defines', () => {
    const parsed = parseConfigFile(
      peerAuthentication('STRICT').replace('kind: PeerAuthentication', 'kind: PeerAuthenticaton'),
      'typo.yaml',
      nextVersion,
    );
    expect(parsed.invalid.map((f) => `${f.code} ${f.message}`)).toEqual([
      'API_VERSION_NOT_SERVED no matches for kind "PeerAuthenticaton" in version "security.istio.io/v1"',
    ]);
    expect(parsed.hiddenBy).toBe(parsed.invalid[0]);
  });

  it('takes in the Istio kinds the mesh stores without applying (WasmPlugin, ProxyConfig), with a warning', () => {
    const parsed = parseConfigFile(
      `apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: openid, namespace: default}
spec: {url: 'oci://ghcr.io/example/openid:1'}
---
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: per-workload, namespace: default}
spec: {concurrency: 2}
`,
      'extensions.yaml',
      nextVersion,
    );
    expect(parsed.invalid).toEqual([]);
    expect([...parsed.configs.keys()]).toEqual([
      'WasmPlugin/default/openid',
      'ProxyConfig/default/per-workload',
    ]);
    expect(parsed.warnings.map((f) => `${f.code} ${f.kind}`)).toEqual([
      'NOT_APPLIED WasmPlugin',
      'NOT_APPLIED ProxyConfig',
    ]);
  });

  it('caps validation findings per file, as it caps parse errors', () => {
    const invalid = Array.from({ length: 150 }, (_, i) =>
      peerAuthentication('STRICTT').replace('name: default', `name: pa-${i}`),
    ).join('---\n');
    const parsed = parseConfigFile(invalid, 'many.yaml', nextVersion);
    expect(parsed.resources).toBe(150);
    expect(parsed.invalid).toHaveLength(MAX_FINDINGS_PER_FILE + 1);
    expect(parsed.invalid.at(-1)?.message).toBe('... and 50 more findings in this file, not listed');
  });

  it('refuses a file above the size limit before it is read', () => {
    expect(refuseOversizeFile('small.yaml', MAX_CONFIG_FILE_BYTES)).toBeUndefined();
    const refused = refuseOversizeFile('huge.yaml', MAX_CONFIG_FILE_BYTES + 1);
    expect(refused?.invalid).toMatchObject([{ code: 'SIZE_LIMIT', source: { file: 'huge.yaml', line: 1 } }]);
    expect(refused?.hiddenBy).toBe(refused?.invalid[0]);
  });
});

describe('ConfigTree', () => {
  const modeOf = (tree: ConfigTree) =>
    (tree.merge().configs.get('PeerAuthentication/default/default')?.object['spec'] as { mtls: object }).mtls;

  it('starts a file from its saved copy and keeps the last good version through an invalid one', () => {
    const first = new ConfigTree(nextVersion);
    first.read(parseConfigFile(peerAuthentication('STRICT'), 'mtls.yaml', nextVersion));
    const copy = serializeLastGood(first.inForceByFile());

    const second = new ConfigTree(nextVersion);
    second.restoreSaved(parseLastGood(copy, 'copy.json', () => undefined));
    second.read(parseConfigFile(peerAuthentication('STRICTT'), 'mtls.yaml', nextVersion));
    expect(modeOf(second)).toEqual({ mode: 'STRICT' });
    expect(second.problems().stale).toMatchObject([
      {
        kind: 'PeerAuthentication',
        name: 'default',
        reason: expect.stringMatching(/last good version kept$/),
      },
    ]);

    second.read(parseConfigFile(peerAuthentication('PERMISSIVE'), 'mtls.yaml', nextVersion));
    expect(modeOf(second)).toEqual({ mode: 'PERMISSIVE' });
    expect(second.problems()).toEqual({ invalid: [], stale: [] });
  });

  it('takes a resource defined twice from the first path and reports the other', () => {
    const tree = new ConfigTree(nextVersion);
    tree.read(parseConfigFile(peerAuthentication('PERMISSIVE'), 'b.yaml', nextVersion));
    tree.read(parseConfigFile(peerAuthentication('STRICT'), 'a.yaml', nextVersion));
    expect(modeOf(tree)).toEqual({ mode: 'STRICT' });
    expect(tree.problems().invalid).toMatchObject([
      {
        code: 'DUPLICATE_RESOURCE',
        source: { file: 'b.yaml' },
        message: expect.stringContaining('a.yaml:1'),
      },
    ]);
    tree.delete('a.yaml');
    expect(modeOf(tree)).toEqual({ mode: 'PERMISSIVE' });
  });

  it('leaves out a saved object that no longer validates, and says so', () => {
    const problems: string[] = [];
    const saved = parseLastGood(
      JSON.stringify({
        version: 1,
        files: {
          'mtls.yaml': [{ kind: 'PeerAuthentication', namespace: 'default', name: 'default', object: {} }],
        },
      }),
      'copy.json',
      (message) => problems.push(message),
    );
    expect(saved.get('mtls.yaml')).toEqual([]);
    expect(problems).toEqual(['copy.json: saved PeerAuthentication default/default no longer validates']);
  });
});
