import type { StoredConfig } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { TypeUrl, type XdsConnection } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { MeshResourceSource } from '../src/xds/mesh-resource-source.js';

const service = (name: string): StoredConfig => ({
  apiVersion: 'v1',
  kind: 'Service',
  namespace: 'default',
  name,
  resourceVersion: '1',
  object: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { selector: { app: name }, ports: [{ name: 'grpc', port: 50051 }] },
  },
});

const connection = (metadata: Record<string, string>): XdsConnection => ({
  id: 'c1',
  mode: 'sotw',
  peer: 'test',
  connectedAt: new Date(),
  node: { id: 'n1', cluster: '', metadata },
});

describe('MeshResourceSource', () => {
  const proxyless = connection({ GENERATOR: 'grpc' });
  const request = (names: string[]) => ({
    connection: proxyless,
    typeUrl: TypeUrl.Listener,
    wildcard: false,
    names: new Set(names),
  });

  it('serves proxyless clients the named resources that exist, encoding each once per snapshot', () => {
    const source = new MeshResourceSource(new MeshSnapshot([service('a'), service('b')]));
    const first = source.resources(
      request(['a.default.svc.cluster.local:50051', 'missing.default.svc.cluster.local:50051']),
    );
    expect(first.map((r) => r.name)).toEqual(['a.default.svc.cluster.local:50051']);
    const again = source.resources(
      request(['a.default.svc.cluster.local:50051', 'b.default.svc.cluster.local:50051']),
    );
    expect(again[0]).toBe(first[0]); // the same prepared (encoded) resource object
    expect(again.map((r) => r.name)).toEqual([
      'a.default.svc.cluster.local:50051',
      'b.default.svc.cluster.local:50051',
    ]);

    source.update(new MeshSnapshot([service('a')]));
    const afterChange = source.resources(
      request(['a.default.svc.cluster.local:50051', 'b.default.svc.cluster.local:50051']),
    );
    expect(afterChange.map((r) => r.name)).toEqual(['a.default.svc.cluster.local:50051']);
    expect(source.resources({ ...request([]), wildcard: true }).map((r) => r.name)).toEqual([
      'a.default.svc.cluster.local:50051',
    ]);
  });

  it('serves nothing to nodes that are neither proxyless gRPC clients nor sidecars', () => {
    const source = new MeshResourceSource(new MeshSnapshot([service('a')]));
    expect(
      source.resources({ ...request(['a.default.svc.cluster.local:50051']), connection: connection({}) }),
    ).toEqual([]);
  });
});

describe('MeshResourceSource when generation fails', () => {
  it('leaves the failing type out, reports it, and keeps serving the rest', () => {
    class BrokenRoutes extends MeshSnapshot {
      override virtualServices(): never {
        throw new Error('boom');
      }
    }
    const errors: string[] = [];
    const source = new MeshResourceSource(new BrokenRoutes([service('a')]), (what, error) =>
      errors.push(`${what}: ${error.message}`),
    );
    const proxyless = connection({ GENERATOR: 'grpc' });
    const ask = (typeUrl: string) =>
      source
        .resources({ connection: proxyless, typeUrl, wildcard: true, names: new Set() })
        .map((r) => r.name);
    expect(ask(TypeUrl.RouteConfiguration)).toEqual([]);
    expect(errors).toEqual(['generating RDS resources: boom']);
    expect(ask(TypeUrl.Listener)).toEqual(['a.default.svc.cluster.local:50051']);
  });
});
