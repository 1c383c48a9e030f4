import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import protobuf from 'protobufjs';

import envoyProtoFiles from './envoy-proto-files.json' with { type: 'json' };

const require = createRequire(import.meta.url);

/** Include directories of the Envoy API protos shipped in @grpc/grpc-js-xds's deps/ folder. */
export function envoyProtoIncludeDirs(): string[] {
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(deps, dir));
}

let cachedRoot: protobuf.Root | undefined;

/**
 * The protobuf root holding every Envoy message libs/xds speaks. Loaded once per process (about
 * 100 ms); every codec shares it so `Any` values can be resolved by type URL.
 */
export function envoyRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  // descriptor.proto is imported by the validation annotations; protobufjs ships it as JSON.
  const descriptor = require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace & {
    nested: { google: { nested: { protobuf: { nested: Record<string, protobuf.AnyNestedObject> } } } };
  };
  protobuf.common('descriptor', descriptor.nested.google.nested.protobuf.nested);
  const includeDirs = envoyProtoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target; // protobufjs then falls back to its bundled well-known types
  };
  root.loadSync(envoyProtoFiles, { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

/** Looks up a message type by its fully qualified name (`envoy.config.cluster.v3.Cluster`). */
export function messageType(fullName: string): protobuf.Type {
  return envoyRoot().lookupType(fullName);
}
