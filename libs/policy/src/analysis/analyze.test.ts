import { describe, expect, it } from 'vitest';

import { analyzeFiles } from '../../test/support/analysis-cases.js';
import { SERVICES } from '../../test/support/analysis-fixtures.js';
import { buildAnalysisInput, readAnalysisFile } from './analysis-input.js';
import { suppressionMatches } from './analyze.js';

const vs = (name: string, host: string, metadata = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}${metadata}
spec:
  hosts: [${host}]
  http:
  - route:
    - destination: {host: ${host}}
`;

const NOT_FOUND = (name: string, ns: string, file: string, host: string, line = 9) =>
  `Error [IST0101] (VirtualService ${ns}/${name} ${file}:${line}) Referenced host not found: "${host}"`;

describe('analyzeConfig', () => {
  it('puts namespace-less resources in the default namespace (-n) and reports only that namespace', () => {
    const files = { 'a.yaml': vs('a', 'nowhere'), 'b.yaml': vs('b', 'elsewhere', '\n  namespace: other') };
    expect(analyzeFiles(files, { namespace: 'team', defaultNamespace: 'team' })).toEqual([
      NOT_FOUND('a', 'team', 'a.yaml', 'nowhere'),
    ]);
    expect(analyzeFiles(files, { namespace: undefined })).toEqual([
      NOT_FOUND('a', 'default', 'a.yaml', 'nowhere'),
      NOT_FOUND('b', 'other', 'b.yaml', 'elsewhere', 10),
    ]);
  });

  it('sorts by level, code, resource and text, and reports schema errors as IST0106', () => {
    const files = {
      'svc.yaml': SERVICES,
      'z.yaml': vs('z', 'nowhere'),
      'bad.yaml': vs('bad', 'reviews').replace(
        'destination: {host: reviews}',
        'destination: {host: reviews}\n      weight: -1',
      ),
      'port.yaml':
        'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{name: web, port: 80}]\n',
    };
    expect(analyzeFiles(files)).toEqual([
      NOT_FOUND('z', 'default', 'z.yaml', 'nowhere'),
      'Error [IST0106] (VirtualService default/bad bad.yaml:10) Schema validation error: ' +
        'spec.http[0].route[0].weight: weight -1 < 0',
      "Info [IST0118] (Service default/web port.yaml:5) Port name web (port: 80, targetPort: 0) doesn't follow the naming convention of Istio port.",
    ]);
  });

  it('reports route-order warnings as IST0130 and IST0131 with Istio texts', () => {
    const rules = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: order}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: reviews}}]
`;
    expect(analyzeFiles({ 'svc.yaml': SERVICES, 'vs.yaml': rules })).toEqual([
      'Warning [IST0130] (VirtualService default/order vs.yaml:9) VirtualService rule #1 not used (all matches used by prior rules).',
      'Info [IST0131] (VirtualService default/order vs.yaml:9) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0).',
    ]);
  });

  it('honours --suppress in both spellings and the analyze-suppress annotation', () => {
    const files = {
      'a.yaml': vs('a', 'na'),
      'b.yaml': vs('b', 'nb', "\n  annotations: {galley.istio.io/analyze-suppress: 'IST0102,IST0101'}"),
      'c.yaml': vs('c', 'nc', "\n  annotations: {galley.istio.io/analyze-suppress: 'IST0102'}"),
    };
    const c = NOT_FOUND('c', 'default', 'c.yaml', 'nc', 10);
    expect(analyzeFiles(files)).toEqual([NOT_FOUND('a', 'default', 'a.yaml', 'na'), c]);
    expect(
      analyzeFiles(files, { suppressions: [{ code: 'IST0101', resource: 'VirtualService a.default' }] }),
    ).toEqual([c]);
    expect(
      analyzeFiles(files, { suppressions: [{ code: 'IST0101', resource: 'VirtualService default/*' }] }),
    ).toEqual([]);
    expect(analyzeFiles(files, { suppressions: [{ code: 'IST0106', resource: '*' }] })).toHaveLength(2);
  });

  it('matches suppression patterns literally apart from *', () => {
    const origin = { kind: 'Pod', namespace: 'testing', name: 'my.pod' };
    expect(suppressionMatches('Pod *.testing', origin)).toBe(true);
    expect(suppressionMatches('Pod my.pod.testing', origin)).toBe(true);
    expect(suppressionMatches('Pod my?pod.testing', origin)).toBe(false);
    expect(suppressionMatches('Pod testing/my.po', origin)).toBe(false);
  });
});

describe('analyzeConfig on malformed Kubernetes objects', () => {
  it('reports what it can and never throws', () => {
    const files = {
      'junk.yaml': [
        'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: x, selector: [1]}',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\nspec: 5',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: c, labels: [1]}\nspec: {containers: {}, securityContext: 1337}',
        'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: d}\nspec: {jobTemplate: []}',
      ].join('\n---\n'),
      'vs.yaml': vs('v', 'a'),
    };
    expect(() => analyzeFiles(files, { namespace: undefined })).not.toThrow();
  });
});

describe('buildAnalysisInput', () => {
  const read = (file: string, text: string) => readAnalysisFile(text, file, () => '1');
  const options = { defaultNamespace: 'default', addInstallDefaults: false, istioNamespace: 'istio-system' };

  it('keeps the first definition of a resource and reports the others, as istioctl does', () => {
    const input = buildAnalysisInput([read('a.yaml', vs('x', 'a')), read('b.yaml', vs('x', 'b'))], options);
    expect(input.resources.map((r) => r.source)).toEqual([{ file: 'a.yaml', line: 1 }]);
    expect(input.fileErrors).toEqual([
      {
        file: 'b.yaml',
        message: 'cannot store config VirtualService default/x from b.yaml:1: item already exists (a.yaml:1)',
      },
    ]);
  });

  it('reports what no resource can carry (syntax errors) as file errors, and leaves out kube-system', () => {
    const input = buildAnalysisInput(
      [read('bad.yaml', 'kind: [unclosed\n'), read('sys.yaml', vs('x', 'a', '\n  namespace: kube-system'))],
      options,
    );
    expect(input.resources).toEqual([]);
    expect(input.fileErrors).toHaveLength(1);
    expect(input.fileErrors[0]?.file).toBe('bad.yaml');
    expect(input.fileErrors[0]?.message).toMatch(/^bad\.yaml:\d+: /);
  });

  it('adds the ingress gateway istioctl assumes for files-only analysis, unless the files define it', () => {
    const input = buildAnalysisInput([], { ...options, addInstallDefaults: true });
    expect(input.resources.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'Pod istio-system/istio-ingressgateway-dummypod',
      'Service istio-system/istio-ingressgateway',
    ]);
  });

  it("names those defaults after MeshConfig's ingressService", () => {
    const input = buildAnalysisInput([], { ...options, addInstallDefaults: true, ingressService: 'edge' });
    expect(input.resources.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'Pod istio-system/edge-dummypod',
      'Service istio-system/edge',
    ]);
  });
});
