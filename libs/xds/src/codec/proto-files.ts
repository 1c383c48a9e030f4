import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type protobuf from 'protobufjs';

/**
 * Where the Envoy API protos are and how a protobufjs root finds them. Kept apart from proto-root.ts,
 * which loads protobufjs when imported, so that a module loading protos only on demand (the EnvoyFilter
 * patch check) can share this without paying for protobufjs at start-up.
 */

const require = createRequire(import.meta.url);

/** Include directories of the Envoy API protos shipped in @grpc/grpc-js-xds's deps/ folder. */
export function envoyProtoIncludeDirs(): string[] {
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(deps, dir));
}

/** The file under the include directories that an import path names, if any. */
export function locateProtoFile(includeDirs: readonly string[], target: string): string | undefined {
  for (const dir of includeDirs) {
    const candidate = join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * An empty root that resolves imports against the include directories. descriptor.proto, imported by
 * the validation annotations, is registered from the JSON protobufjs ships; other google/protobuf
 * files fall back to protobufjs's bundled well-known types.
 */
export function newEnvoyProtoRoot(pb: typeof protobuf, includeDirs: readonly string[]): protobuf.Root {
  const descriptor = require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace & {
    nested: { google: { nested: { protobuf: { nested: Record<string, protobuf.AnyNestedObject> } } } };
  };
  pb.common('descriptor', descriptor.nested.google.nested.protobuf.nested);
  const root = new pb.Root();
  root.resolvePath = (_origin, target) => locateProtoFile(includeDirs, target) ?? target;
  return root;
}
