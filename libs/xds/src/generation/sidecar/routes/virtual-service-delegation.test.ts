import type { HTTPRoute, VirtualService } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { httpRulesWithDelegates } from './virtual-service-delegation.js';

/**
 * Istio's delegation merge rules (`pilot/pkg/model/virtualservice.go`), as a table: which delegate rules
 * survive under which root match, what they inherit, and which delegates are not used at all.
 */

interface Vs {
  name: string;
  namespace: string;
  hosts?: string[];
  exportTo?: string[];
  http: HTTPRoute[];
}

function snapshotOf(...vss: Vs[]): MeshSnapshot {
  const docs = vss.map((v) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: v.name, namespace: v.namespace },
    spec: {
      ...(v.hosts ? { hosts: v.hosts } : {}),
      ...(v.exportTo ? { exportTo: v.exportTo } : {}),
      http: v.http,
    },
  }));
  return MeshSnapshot.fromYaml(docs.map((d) => stringify(d)).join('---\n'), 'delegation.yaml');
}

function rootOf(snapshot: MeshSnapshot): VirtualService {
  const root = snapshot.allVirtualServices.find((v) => v.config.metadata.name === 'root');
  if (!root) throw new Error('no root');
  return root.config;
}

/** The root `root` in `default` delegating its only rule (`rootRule`) to `leaf` in `ns`. */
function merged(rootRule: HTTPRoute, leafRules: HTTPRoute[], leaf: Partial<Vs> = {}): HTTPRoute[] {
  const snapshot = snapshotOf(
    { name: 'root', namespace: 'default', hosts: ['a.example.com'], http: [rootRule] },
    { name: 'leaf', namespace: 'ns', http: leafRules, ...leaf },
  );
  return httpRulesWithDelegates(rootOf(snapshot), 'default', snapshot);
}

const to = (host: string): HTTPRoute['route'] => [{ destination: { host } }];
const delegate = { name: 'leaf', namespace: 'ns' };

describe('VirtualService delegation merge', () => {
  it.each([
    ['exact root, same exact', { exact: '/a' }, { exact: '/a' }, true],
    ['exact root, prefix leaf', { exact: '/a' }, { prefix: '/a' }, false],
    ['exact root, other exact', { exact: '/a' }, { exact: '/b' }, false],
    ['prefix root, narrower prefix', { prefix: '/a' }, { prefix: '/a/b' }, true],
    ['prefix root, wider prefix', { prefix: '/a/b' }, { prefix: '/a' }, false],
    ['prefix root, exact inside', { prefix: '/a' }, { exact: '/a/x' }, true],
    ['regex root, prefix leaf', { regex: '/a.*' }, { prefix: '/a' }, false],
    ['prefix root, regex leaf', { prefix: '/a' }, { regex: '/a.*' }, false],
  ])('%s: kept=%s', (_name, rootUri, leafUri, kept) => {
    const rules = merged({ match: [{ uri: rootUri }], delegate }, [
      { match: [{ uri: leafUri }], route: to('x') },
    ]);
    expect(rules.length).toBe(kept ? 1 : 0);
  });

  it('nests the delegate under the root match and inherits what the delegate leaves unset', () => {
    const rules = merged(
      {
        name: 'r',
        match: [{ name: 'm', uri: { prefix: '/api' }, headers: { a: { exact: '1' } } }],
        timeout: '5s',
        retries: { attempts: 1 },
        delegate,
      },
      [
        {
          name: 'l',
          match: [{ name: 'n', headers: { b: { exact: '2' } } }],
          timeout: '1s',
          route: to('svc'),
        },
        { route: to('svc') },
      ],
    );
    expect(rules).toEqual([
      {
        name: 'r-l',
        match: [{ name: 'm-n', uri: { prefix: '/api' }, headers: { a: { exact: '1' }, b: { exact: '2' } } }],
        timeout: '1s',
        retries: { attempts: 1 },
        route: to('svc.ns.svc.cluster.local'),
      },
      {
        name: 'r',
        match: [{ name: 'm', uri: { prefix: '/api' }, headers: { a: { exact: '1' } } }],
        timeout: '5s',
        retries: { attempts: 1 },
        route: to('svc.ns.svc.cluster.local'),
      },
    ]);
  });

  it('merges a delegate match with every root match it fits under', () => {
    const rules = merged({ match: [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }], delegate }, [
      { match: [{ method: { exact: 'GET' } }], route: to('x') },
    ]);
    expect(rules[0]?.match).toEqual([
      { uri: { prefix: '/a' }, method: { exact: 'GET' } },
      { uri: { prefix: '/b' }, method: { exact: 'GET' } },
    ]);
  });

  it('uses a delegate only when it has no hosts, is exported to the root namespace and exists', () => {
    const rule = { match: [{ uri: { prefix: '/' } }], delegate };
    expect(merged(rule, [{ route: to('x') }], { exportTo: ['default'] })).toHaveLength(1);
    expect(merged(rule, [{ route: to('x') }], { exportTo: ['.'] })).toEqual([]);
    expect(merged(rule, [{ route: to('x') }], { exportTo: ['other'] })).toEqual([]);
    expect(merged(rule, [{ route: to('x') }], { hosts: ['b.example.com'] })).toEqual([]);
    expect(merged({ ...rule, delegate: { name: 'missing', namespace: 'ns' } }, [{ route: to('x') }])).toEqual(
      [],
    );
  });

  it('looks a delegate up in the root namespace when none is given', () => {
    const snapshot = snapshotOf(
      {
        name: 'root',
        namespace: 'default',
        hosts: ['a.example.com'],
        http: [{ delegate: { name: 'leaf' } }],
      },
      { name: 'leaf', namespace: 'default', http: [{ route: to('svc') }] },
    );
    expect(httpRulesWithDelegates(rootOf(snapshot), 'default', snapshot)).toEqual([
      { route: to('svc.default.svc.cluster.local') },
    ]);
  });

  it('does not delegate twice, and leaves the rules without delegate in place', () => {
    const snapshot = snapshotOf(
      {
        name: 'root',
        namespace: 'default',
        hosts: ['a.example.com'],
        http: [{ delegate: { name: 'leaf' } }, { name: 'last', route: to('z') }],
      },
      { name: 'leaf', namespace: 'default', http: [{ delegate: { name: 'deeper' } }, { route: to('y') }] },
      { name: 'deeper', namespace: 'default', http: [{ route: to('x') }] },
    );
    expect(httpRulesWithDelegates(rootOf(snapshot), 'default', snapshot).map((r) => r.route)).toEqual([
      to('y.default.svc.cluster.local'),
      to('z'),
    ]);
  });

  it('keeps match gateways of the delegate in its own namespace', () => {
    const rules = merged({ match: [{ gateways: ['ns/gw'] }], delegate }, [
      { match: [{ gateways: ['gw'] }], route: to('x') },
    ]);
    expect(rules[0]?.match).toEqual([{ gateways: ['ns/gw'] }]);
    expect(
      merged({ match: [{ gateways: ['gw'] }], delegate }, [
        { match: [{ gateways: ['gw'] }], route: to('x') },
      ]),
    ).toEqual([]);
  });
});
