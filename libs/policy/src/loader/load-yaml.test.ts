import { describe, expect, it } from 'vitest';

import { validateYaml } from '../validate-yaml.js';
import { formatFinding } from '../validation/finding.js';
import { MAX_CONFIG_FILE_BYTES, MAX_DOCUMENT_BYTES, MAX_FINDINGS_PER_FILE } from './input-limits.js';
import { loadYaml } from './load-yaml.js';

const multiDoc = `# a comment before the first document
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts:
    - reviews
  http:
    - route:
        - destination:
            host: reviews
            subset: v1
---
---
# only a comment
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  ports:
    - port: 9080
      name: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
`;

describe('loadYaml', () => {
  it('loads every document, skipping empty ones, with the line each starts on', () => {
    const { resources, findings } = loadYaml(multiDoc, 'bookinfo.yaml');
    expect(findings).toEqual([]);
    expect(resources.map((r) => [r.category, r.kind, r.name, r.source.line])).toEqual([
      ['istio', 'VirtualService', 'reviews', 2],
      ['kubernetes', 'Service', 'reviews', 19],
      ['unknown', 'Deployment', 'reviews-v1', 28],
    ]);
    expect(resources[0]!.source.file).toBe('bookinfo.yaml');
  });

  it('passes unknown kinds through untouched', () => {
    const { resources } = loadYaml(multiDoc, 'bookinfo.yaml');
    expect(resources[2]!.object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'reviews-v1' },
    });
  });

  it('records the line of every field by its path', () => {
    const [vs] = loadYaml(multiDoc, 'bookinfo.yaml').resources;
    expect(vs!.fieldLines.get('spec.hosts[0]')).toBe(9);
    expect(vs!.fieldLines.get('spec.http[0].route[0].destination.subset')).toBe(14);
    expect(vs!.fieldLines.get('metadata.namespace')).toBe(6);
  });

  it('expands List kinds into their items, each with its own line', () => {
    const list = `apiVersion: v1
kind: List
items:
  - apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata:
      name: default
      namespace: istio-system
    spec:
      mtls:
        mode: STRICT
  - apiVersion: v1
    kind: Namespace
    metadata:
      name: bookinfo
`;
    const { resources } = loadYaml(list, 'list.yaml');
    expect(resources.map((r) => [r.kind, r.name, r.source.line])).toEqual([
      ['PeerAuthentication', 'default', 4],
      ['Namespace', 'bookinfo', 12],
    ]);
    expect(resources[0]!.fieldLines.get('spec.mtls.mode')).toBe(11);
  });

  it('reports YAML syntax errors with file and line, and still loads the other documents', () => {
    const text = `apiVersion: v1
kind: Namespace
metadata:
  name: ok
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
data: [unclosed
`;
    const { resources, findings } = loadYaml(text, 'broken.yaml');
    expect(resources.map((r) => r.name)).toEqual(['ok']);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'YAML_SYNTAX',
      level: 'Error',
      source: { file: 'broken.yaml' },
    });
    expect(findings[0]!.source!.line).toBeGreaterThanOrEqual(10);
    expect(formatFinding(findings[0]!)).toMatch(/^Error \[YAML_SYNTAX\] \(broken\.yaml:\d+\) /);
  });

  it('reports duplicate keys, which Kubernetes rejects too', () => {
    const { findings } = loadYaml(
      'apiVersion: v1\nkind: Namespace\nkind: Pod\nmetadata: {name: x}\n',
      'dup.yaml',
    );
    expect(findings.map((f) => [f.code, f.source?.line])).toEqual([['YAML_SYNTAX', 3]]);
  });

  // Istio's pkg/config/validation/testdata/crds/serviceentry-valid.yaml writes `addresses: [1.2.3.4,
  // 001:db8::]`; Kubernetes' go-yaml reads the second entry as a string, YAML 1.2 as `{"001:db8:": null}`.
  it('reads an IPv6 address ending in :: inside a flow collection as a string, like Kubernetes', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n' +
      '  seq: [1.2.3.4, 001:db8::, fe80::]\n  map: {fe80::, a: b, "q":}\n  pair: [a: b]\n';
    const { resources, findings } = loadYaml(text, 'v6.yaml');
    expect(findings).toEqual([]);
    expect(resources[0]!.object['data']).toEqual({
      seq: ['1.2.3.4', '001:db8::', 'fe80::'],
      map: { 'fe80::': null, a: 'b', q: null },
      pair: [{ a: 'b' }],
    });
    expect(resources[0]!.fieldLines.get('data.seq[1]')).toBe(5);
  });

  it('reports documents that are not Kubernetes objects', () => {
    const { resources, findings } = loadYaml('- just\n- a list\n---\nname: no-kind\n', 'odd.yaml');
    expect(resources).toEqual([]);
    expect(findings.map((f) => [f.code, f.source?.line])).toEqual([
      ['RESOURCE_MALFORMED', 1],
      ['RESOURCE_MALFORMED', 4],
    ]);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ].join('\n');
    const { resources, findings } = loadYaml(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n${bomb}\n`,
      'bomb.yaml',
    );
    expect(resources).toEqual([]);
    expect(findings.map((f) => f.code)).toEqual(['YAML_SYNTAX']);
  });

  it('returns nothing for an empty file', () => {
    expect(loadYaml('', 'empty.yaml')).toEqual({ resources: [], findings: [] });
    expect(loadYaml('# nothing here\n', 'comment.yaml')).toEqual({ resources: [], findings: [] });
  });
});

describe('loadYaml on large and hostile input', () => {
  // The YAML library's duplicate-key check compared every key with every earlier one: 88 s for this.
  it('loads a ConfigMap of 30,000 keys in linear time, and still finds a repeated key among them', () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `  k${i}: v${i}\n`).join('');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n${keys}`;
    const started = performance.now();
    const { resources, findings } = loadYaml(text, 'big.yaml');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(findings).toEqual([]);
    expect(Object.keys(resources[0]!.object['data'] as object)).toHaveLength(30_000);

    const repeated = loadYaml(`${text}  k17: again\n`, 'big.yaml').findings;
    expect(repeated.map((f) => [f.code, f.source?.line, f.message])).toEqual([
      ['YAML_SYNTAX', 30_005, 'Map keys must be unique: "k17" is repeated (first at line 22)'],
    ]);
  });

  it('refuses a file above the size limit unparsed, naming the limit', () => {
    const { resources, findings } = loadYaml('#'.repeat(MAX_CONFIG_FILE_BYTES + 1), 'huge.yaml');
    expect(resources).toEqual([]);
    expect(findings.map(formatFinding)).toEqual([
      `Error [SIZE_LIMIT] (huge.yaml:1) the file is ${MAX_CONFIG_FILE_BYTES + 1} bytes, above the limit of 10 MiB per config file; split it`,
    ]);
  });

  it('refuses a document above the size limit and loads the documents around it', () => {
    const big = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: ${'x'.repeat(MAX_DOCUMENT_BYTES)}\n`;
    const small = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`;
    const { resources, findings } = loadYaml(`${small('a')}---\n${big}---\n${small('b')}`, 'mixed.yaml');
    expect(resources.map((r) => [r.name, r.source.line])).toEqual([
      ['a', 1],
      ['b', 11],
    ]);
    expect(findings.map((f) => [f.code, f.source?.line])).toEqual([['SIZE_LIMIT', 4]]);
    expect(findings[0]!.message).toContain('above the limit of 1.5 MiB per document');
  });

  it('keeps a directive with the document it precedes', () => {
    const text = `apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n...\n%YAML 1.2\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n`;
    const { resources, findings } = loadYaml(text, 'directive.yaml');
    expect(findings).toEqual([]);
    expect(resources.map((r) => [r.name, r.source.line])).toEqual([
      ['a', 1],
      ['b', 7],
    ]);
  });

  // 50 MB of garbage once meant 200,000 findings, each one a log line.
  it('reports at most a bounded number of findings for garbage, counting the rest', () => {
    const garbage = Array.from({ length: 20_000 }, (_, i) => `a: b: c${i}\n---\n`).join('');
    const { findings } = loadYaml(garbage, 'garbage.yaml');
    expect(findings).toHaveLength(MAX_FINDINGS_PER_FILE + 1);
    expect(findings.at(-1)).toMatchObject({
      code: 'FINDINGS_TRUNCATED',
      message: expect.stringMatching(/^\.\.\. and \d+ more findings in this file, not listed$/),
    });
  });
});

describe('validateYaml', () => {
  it('points findings at the exact line of the offending field', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts:
    - reviews
  http:
    - route:
        - destination:
            host: reviews
            subset: v1
          weight: 50
        - destination:
            host: reviews
            subset: v2
          weight: -50
`;
    const { errors, warnings } = validateYaml(text, 'reviews.yaml');
    expect(errors.map((e) => [e.code, e.path, e.source])).toEqual([
      ['WEIGHT_INVALID', 'spec.http[0].route', { file: 'reviews.yaml', line: 10 }],
      ['WEIGHT_INVALID', 'spec.http[0].route[1].weight', { file: 'reviews.yaml', line: 18 }],
    ]);
    expect(warnings).toEqual([]);
  });

  it('points a missing required field at its parent', () => {
    const text =
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\nspec:\n  subsets:\n    - name: v1\n';
    const { errors } = validateYaml(text, 'dr.yaml');
    expect(errors.map((e) => [e.path, e.source?.line])).toEqual([['spec.host', 5]]);
  });
});
