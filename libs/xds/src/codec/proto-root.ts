import protobuf from 'protobufjs';

import envoyProtoFiles from './envoy-proto-files.json' with { type: 'json' };
import { envoyProtoIncludeDirs, newEnvoyProtoRoot } from './proto-files.js';

export { envoyProtoIncludeDirs } from './proto-files.js';

let cachedRoot: protobuf.Root | undefined;

/**
 * protobufjs bundles google/protobuf/struct.proto with camelCase field names (`stringValue`), which
 * would make Struct the only message not in proto field-name (snake_case) form and silently drop
 * node metadata written as `string_value`. While our root loads, the bundle holds the same wire
 * schema with proto field names; other protobufjs users in the process keep the original.
 */
const STRUCT_BUNDLE = 'google/protobuf/struct.proto';
const STRUCT_SCHEMA: Record<string, protobuf.AnyNestedObject | protobuf.IType> = {
  Struct: { fields: { fields: { keyType: 'string', type: 'Value', id: 1 } as protobuf.IMapField } },
  Value: {
    oneofs: {
      kind: {
        oneof: ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'],
      },
    },
    fields: {
      null_value: { type: 'NullValue', id: 1 },
      number_value: { type: 'double', id: 2 },
      string_value: { type: 'string', id: 3 },
      bool_value: { type: 'bool', id: 4 },
      struct_value: { type: 'Struct', id: 5 },
      list_value: { type: 'ListValue', id: 6 },
    },
  },
  NullValue: { values: { NULL_VALUE: 0 } },
  ListValue: { fields: { values: { rule: 'repeated', type: 'Value', id: 1 } } },
};

/**
 * The protobuf root holding every Envoy message libs/xds speaks. Loaded once per process (about
 * 100 ms); every codec shares it so `Any` values can be resolved by type URL.
 */
export function envoyRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const root = newEnvoyProtoRoot(protobuf, envoyProtoIncludeDirs());
  const bundles = protobuf.common as unknown as Record<string, protobuf.INamespace>;
  const originalStruct = bundles[STRUCT_BUNDLE];
  protobuf.common('struct', STRUCT_SCHEMA);
  try {
    root.loadSync(envoyProtoFiles, { keepCase: true });
  } finally {
    if (originalStruct) bundles[STRUCT_BUNDLE] = originalStruct;
  }
  root.resolveAll();
  cachedRoot = root;
  return root;
}

/** Looks up a message type by its fully qualified name (`envoy.config.cluster.v3.Cluster`). */
export function messageType(fullName: string): protobuf.Type {
  return envoyRoot().lookupType(fullName);
}
