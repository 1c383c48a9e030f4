import { createRequire } from 'node:module';

import { register } from '@grpc/grpc-js-xds';

import { resourceTypeFor } from '../src/resources/registry.js';
import { prepareResource } from '../src/server/resource-source.js';
import { TypeUrl } from '../src/type-urls.js';

/**
 * `@grpc/grpc-js-xds`'s own resource decoders, the code that ACKs or NACKs what a proxyless gRPC client
 * receives: each resource is encoded as the ADS server sends it and handed to them. They are not part of
 * the package's public API, so they are loaded by path (the package has no `exports` map to forbid it).
 */
interface DecodeResult {
  name: string;
  error?: string;
}
interface GrpcResourceType {
  decode(context: object, resource: { type_url: string; value: Buffer }): DecodeResult;
}

const require = createRequire(import.meta.url);
const load = (file: string, exported: string): GrpcResourceType =>
  (
    require(`@grpc/grpc-js-xds/build/src/xds-resource-type/${file}`) as Record<
      string,
      { get(): GrpcResourceType }
    >
  )[exported]!.get();

// The decoders validate filters against the registry `register()` fills (router, fault, RBAC, ...).
register();

const DECODERS: Readonly<Record<string, GrpcResourceType>> = {
  [TypeUrl.Listener]: load('listener-resource-type.js', 'ListenerResourceType'),
  [TypeUrl.RouteConfiguration]: load('route-config-resource-type.js', 'RouteConfigurationResourceType'),
  [TypeUrl.Cluster]: load('cluster-resource-type.js', 'ClusterResourceType'),
  [TypeUrl.ClusterLoadAssignment]: load('endpoint-resource-type.js', 'EndpointResourceType'),
};

/** A bootstrap with no certificate providers: what a plaintext client (as in our tests) has. */
const CONTEXT = {
  server: { serverUri: 'istiod:15010', channelCredentials: { type: 'insecure' }, serverFeatures: [] },
  bootstrap: { xdsServers: [], node: { id: 'test' }, authorities: {}, certificateProviders: {} },
};

/** What grpc-js-xds says about each resource: `<name>: <error>` for every one it would NACK. */
export function grpcJsXdsRejections(typeUrl: string, resources: readonly object[]): string[] {
  const decoder = DECODERS[typeUrl];
  const type = resourceTypeFor(typeUrl);
  if (!decoder || !type) throw new Error(`no decoder for ${typeUrl}`);
  const rejections: string[] = [];
  for (const resource of resources) {
    const prepared = prepareResource(typeUrl, type.nameOf(resource as never), resource);
    const result = decoder.decode(CONTEXT, { type_url: typeUrl, value: Buffer.from(prepared.any.value) });
    if (result.error !== undefined) rejections.push(`${result.name}: ${result.error}`);
  }
  return rejections;
}
