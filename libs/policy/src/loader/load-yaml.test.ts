import { describe, expect, it } from 'vitest';

import { validateYaml } from '../validate-yaml.js';
import { formatFinding } from '../validation/finding.js';
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
