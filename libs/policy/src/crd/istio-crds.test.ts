import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { ISTIO_KINDS, storageVersionOf } from '../api-kinds.js';
import { renderIstioCrds } from './istio-crds.js';

const CRDS_FILE = new URL('../../../../charts/base/templates/crds.yaml', import.meta.url);
type Node = Record<string, unknown>;

const committed = readFileSync(CRDS_FILE, 'utf8');
const crds = parseAllDocuments(committed).map((d) => d.toJS() as Node);
const spec = (crd: Node) => crd['spec'] as Node;
const versions = (crd: Node) => spec(crd)['versions'] as Node[];
const schemaOf = (version: Node) => (version['schema'] as Node)['openAPIV3Schema'] as Node;

/** Kubernetes' structural-schema rules that matter here: every node typed, no `properties` next to `additionalProperties`. */
function structuralProblems(node: Node, path: string, problems: string[]): void {
  const typed =
    node['type'] !== undefined ||
    node['x-kubernetes-int-or-string'] === true ||
    node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!typed) problems.push(`${path}: no type`);
  if (node['properties'] !== undefined && node['additionalProperties'] !== undefined)
    problems.push(`${path}: properties and additionalProperties`);
  if (node['additionalProperties'] === false) problems.push(`${path}: additionalProperties false`);
  for (const [name, child] of Object.entries((node['properties'] as Node | undefined) ?? {}))
    structuralProblems(child as Node, `${path}.${name}`, problems);
  if (typeof node['additionalProperties'] === 'object')
    structuralProblems(node['additionalProperties'] as Node, `${path}.*`, problems);
  if (node['items'] !== undefined) structuralProblems(node['items'] as Node, `${path}[]`, problems);
}

describe('charts/base/templates/crds.yaml', () => {
  it('is what the generator produces from the current schemas (run `npm run generate-crds -w @mesh/policy`)', () => {
    expect(
      committed === renderIstioCrds(),
      'crds.yaml is stale: run npm run generate-crds --workspace @mesh/policy',
    ).toBe(true);
  });

  it('has one CRD per Istio kind, with Istio names', () => {
    expect(crds.map((c) => (c['metadata'] as Node)['name'])).toEqual(
      ISTIO_KINDS.map((k) => `${k.plural}.${k.group}`),
    );
    for (const crd of crds) expect(crd['apiVersion']).toBe('apiextensions.k8s.io/v1');
  });

  it('serves every version Istio serves, stores one (the first but for Telemetry) and has a status subresource', () => {
    for (const [index, crd] of crds.entries()) {
      const kind = ISTIO_KINDS[index]!;
      expect(versions(crd).map((v) => v['name'])).toEqual(kind.versions);
      expect(versions(crd).every((v) => v['served'] === true)).toBe(true);
      expect(
        versions(crd)
          .filter((v) => v['storage'] === true)
          .map((v) => v['name']),
      ).toEqual([storageVersionOf(kind)]);
      expect(versions(crd).every((v) => JSON.stringify(v['subresources']) === '{"status":{}}')).toBe(true);
    }
  });

  it('has structural schemas throughout', () => {
    const problems: string[] = [];
    for (const crd of crds)
      structuralProblems(schemaOf(versions(crd)[0]!), (crd['metadata'] as Node)['name'] as string, problems);
    expect(problems).toEqual([]);
  });

  it('keeps free-form Envoy patches and status from being pruned', () => {
    const envoyFilter = schemaOf(
      versions(
        crds.find((c) => spec(c)['names'] && (spec(c)['names'] as Node)['kind'] === 'EnvoyFilter')!,
      )[0]!,
    );
    const patches = ((envoyFilter['properties'] as Node)['spec'] as Node)['properties'] as Node;
    const patch = (((patches['configPatches'] as Node)['items'] as Node)['properties'] as Node)[
      'patch'
    ] as Node;
    expect((patch['properties'] as Node)['value']).toMatchObject({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(
      ((envoyFilter['properties'] as Node)['status'] as Node)['x-kubernetes-preserve-unknown-fields'],
    ).toBe(true);
  });

  it("encodes mutually exclusive fields with Istio's oneOf blocks", () => {
    const vs = schemaOf(versions(crds[0]!)[0]!);
    const http = (((vs['properties'] as Node)['spec'] as Node)['properties'] as Node)['http'] as Node;
    const uri = ((((http['items'] as Node)['properties'] as Node)['match'] as Node)['items'] as Node)[
      'properties'
    ] as Node;
    expect((uri['uri'] as Node)['oneOf']).toEqual([
      { not: { anyOf: [{ required: ['exact'] }, { required: ['prefix'] }, { required: ['regex'] }] } },
      { required: ['exact'] },
      { required: ['prefix'] },
      { required: ['regex'] },
    ]);
  });
});
