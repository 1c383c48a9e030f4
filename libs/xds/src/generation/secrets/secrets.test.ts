import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';

import { loadYaml } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { expectGolden, expectValidEnvoy, goldenCases, readCase } from '../../../test/golden.js';
import { TypeUrl } from '../../type-urls.js';
import { generateSecrets, parseResourceName, type SecretProxy } from './credential-secrets.js';

/**
 * Golden tests: `testdata/secrets/<case>.in.yaml` (Kubernetes Secrets) → `<case>.out.yaml` (the SDS
 * resources and problems for the ingress gateway in istio-system asking for `NAMES`).
 * `UPDATE_GOLDEN=1 npx vitest run` rewrites the outputs; review the diff like code.
 */
const DIR = join(import.meta.dirname, '..', 'testdata', 'secrets');
const CASES = goldenCases(DIR);

const GATEWAY: SecretProxy = { namespace: 'istio-system', kind: 'router' };

const NAMES = [
  'kubernetes://bookinfo-cert',
  'kubernetes://istio-system/bookinfo-cert-cacert',
  'kubernetes://generic-cert',
  'kubernetes://generic-cert-cacert',
  'kubernetes://split-cert',
  'kubernetes://split-cert-cacert',
  'kubernetes://bad-base64',
  'kubernetes://no-key',
  'kubernetes://no-key-cacert',
  'kubernetes://empty-cert',
  'kubernetes://not-a-cert',
  'kubernetes://missing',
  'kubernetes://missing-cacert',
  'kubernetes://default/bookinfo-cert',
  'kubernetes://a/b/c',
  'kubernetes-gateway://istio-system/bookinfo-cert',
  'default',
  'ROOTCA',
];

function snapshotOf(name: string): MeshSnapshot {
  const text = readCase(DIR, name);
  expect(loadYaml(text, `${name}.in.yaml`).findings).toEqual([]);
  return MeshSnapshot.fromYaml(text, `${name}.in.yaml`);
}

type Obj = Record<string, unknown>;
const names = (resources: readonly object[]) => resources.map((r) => (r as { name: string }).name);
const decoded = (base64: unknown) => Buffer.from(String(base64), 'base64').toString('utf8');

describe('SDS for gateway credentials (golden)', () => {
  it.each(CASES)('%s', (name) => {
    const result = generateSecrets(snapshotOf(name), GATEWAY, new Set(NAMES));
    expectValidEnvoy(TypeUrl.Secret, result.resources);
    expectGolden(DIR, name, result);
  });
});

describe('generateSecrets', () => {
  const snapshot = snapshotOf('gateway-credentials');
  const one = (name: string, proxy: SecretProxy = GATEWAY) =>
    generateSecrets(snapshot, proxy, new Set([name]));

  it('serves a kubernetes.io/tls Secret as a TLS certificate and its ca.crt as the -cacert validation context', () => {
    const cert = one('kubernetes://bookinfo-cert');
    expect(cert.problems).toEqual([]);
    const tls = cert.resources[0]!.tls_certificate as Obj;
    expect(decoded((tls['certificate_chain'] as Obj)['inline_bytes'])).toContain('BEGIN CERTIFICATE');
    expect(decoded((tls['private_key'] as Obj)['inline_bytes'])).toContain('BEGIN PRIVATE KEY');
    expect(cert.resources[0]!.validation_context).toBeUndefined();

    const ca = one('kubernetes://bookinfo-cert-cacert');
    expect(ca.problems).toEqual([]);
    expect(names(ca.resources)).toEqual(['kubernetes://bookinfo-cert-cacert']);
    const trusted = (ca.resources[0]!.validation_context as Obj)['trusted_ca'] as Obj;
    expect(decoded(trusted['inline_bytes'])).toContain('BEGIN CERTIFICATE');
    expect(ca.resources[0]!.tls_certificate).toBeUndefined();
  });

  it('prefers the generic cert/key/cacert layout, as Istio does', () => {
    const generic = one('kubernetes://generic-cert').resources[0]!;
    const bookinfo = one('kubernetes://bookinfo-cert').resources[0]!;
    expect(generic.tls_certificate).toEqual(bookinfo.tls_certificate); // cert/key, not the tls.* decoys
    expect(one('kubernetes://generic-cert-cacert').resources[0]!.validation_context).toEqual(
      one('kubernetes://bookinfo-cert-cacert').resources[0]!.validation_context,
    );
  });

  it('reads <name>-cacert from a Secret of that name when there is one', () => {
    const split = one('kubernetes://split-cert-cacert');
    expect(split.problems).toEqual([]);
    expect(split.resources[0]!.validation_context).toEqual(
      one('kubernetes://bookinfo-cert-cacert').resources[0]!.validation_context,
    );
  });

  it('accepts the namespaced form for the proxy’s own namespace and refuses any other namespace', () => {
    expect(names(one('kubernetes://istio-system/bookinfo-cert').resources)).toEqual([
      'kubernetes://istio-system/bookinfo-cert',
    ]);
    const cross = one('kubernetes://default/bookinfo-cert');
    expect(cross.resources).toEqual([]);
    expect(cross.problems).toEqual([
      'kubernetes://default/bookinfo-cert: refused: a gateway in namespace "istio-system" may only read Secrets of its own namespace, not "default"',
    ]);
    // A gateway in default gets default's Secret under the short name, and not istio-system's.
    const inDefault: SecretProxy = { namespace: 'default', kind: 'router' };
    expect(names(one('kubernetes://bookinfo-cert', inDefault).resources)).toEqual([
      'kubernetes://bookinfo-cert',
    ]);
    expect(one('kubernetes://istio-system/bookinfo-cert', inDefault).resources).toEqual([]);
  });

  it('gives sidecars nothing', () => {
    const result = generateSecrets(
      snapshot,
      { namespace: 'istio-system', kind: 'sidecar' },
      new Set(['kubernetes://bookinfo-cert', 'kubernetes://bookinfo-cert-cacert']),
    );
    expect(result.resources).toEqual([]);
    expect(result.problems).toHaveLength(2);
    expect(result.problems[0]).toContain('a sidecar gets none');
  });

  it('never serves the agent-owned default and ROOTCA', () => {
    const result = generateSecrets(
      snapshot,
      GATEWAY,
      new Set(['default', 'ROOTCA', 'file-root:/etc/ca.pem']),
    );
    expect(result.resources).toEqual([]);
    expect(result.problems).toEqual([
      "default: served by the proxy's own agent, never by istiod",
      "ROOTCA: served by the proxy's own agent, never by istiod",
      "file-root:/etc/ca.pem: served by the proxy's own agent, never by istiod",
    ]);
  });

  it('leaves out malformed or missing credentials and says why', () => {
    expect(one('kubernetes://bad-base64')).toEqual({
      resources: [],
      problems: [
        'kubernetes://bad-base64: Secret istio-system/bad-base64: data "tls.crt" is not valid base64',
      ],
    });
    expect(one('kubernetes://no-key')).toEqual({
      resources: [],
      problems: [
        'kubernetes://no-key: Secret istio-system/no-key: no "cert" and "key" nor "tls.crt" and "tls.key" keys; found: tls.crt',
      ],
    });
    expect(one('kubernetes://empty-cert').problems).toEqual([
      'kubernetes://empty-cert: Secret istio-system/empty-cert: found keys "cert" and "key", but they were empty',
    ]);
    expect(one('kubernetes://missing').problems).toEqual([
      'kubernetes://missing: Secret istio-system/missing not found',
    ]);
    expect(one('kubernetes://no-key-cacert').problems).toEqual([
      'kubernetes://no-key-cacert: Secret istio-system/no-key: no "cacert" or "ca.crt" key; found: tls.crt',
    ]);
  });

  it('leaves out a credential whose certificate does not parse, or whose key is not its own, and says why', () => {
    expect(one('kubernetes://not-a-cert')).toEqual({
      resources: [],
      problems: ['kubernetes://not-a-cert: Secret istio-system/not-a-cert "cert" holds no PEM certificate'],
    });
    const bookinfo = one('kubernetes://bookinfo-cert').resources[0]!.tls_certificate as Obj;
    const chain = (bookinfo['certificate_chain'] as Obj)['inline_bytes'];
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const mismatched = MeshSnapshot.fromYaml(
      `apiVersion: v1
kind: Secret
metadata: {name: mismatched, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: ${String(chain)}, tls.key: ${Buffer.from(otherKey).toString('base64')}}
`,
      'mismatched.yaml',
    );
    expect(generateSecrets(mismatched, GATEWAY, new Set(['kubernetes://mismatched']))).toEqual({
      resources: [],
      problems: [
        'kubernetes://mismatched: Secret istio-system/mismatched: "tls.key" does not match the certificate in "tls.crt"',
      ],
    });
  });

  it('merges stringData over data, as the API server does', () => {
    const bookinfoCa = one('kubernetes://bookinfo-cert-cacert').resources[0]!.validation_context as Obj;
    const caPem = decoded((bookinfoCa['trusted_ca'] as Obj)['inline_bytes']);
    const withStringData = MeshSnapshot.fromYaml(
      `apiVersion: v1
kind: Secret
metadata: {name: plain, namespace: istio-system}
stringData: {cacert: ${JSON.stringify(caPem)}}
data: {cacert: "ignored="}
`,
      'plain.yaml',
    );
    const result = generateSecrets(withStringData, GATEWAY, new Set(['kubernetes://plain-cacert']));
    const trusted = (result.resources[0]!.validation_context as Obj)['trusted_ca'] as Obj;
    expect(decoded(trusted['inline_bytes'])).toBe(caPem);
  });

  it('parses resource names like Istio', () => {
    expect(parseResourceName('kubernetes://x', 'ns')).toEqual({ namespace: 'ns', name: 'x' });
    expect(parseResourceName('kubernetes://other/x-cacert', 'ns')).toEqual({
      namespace: 'other',
      name: 'x-cacert',
    });
    expect(parseResourceName('kubernetes://', 'ns')).toContain('malformed');
    expect(parseResourceName('kubernetes://a/b/c', 'ns')).toContain('malformed');
    expect(parseResourceName('sds://x', 'ns')).toContain('unsupported');
  });
});
