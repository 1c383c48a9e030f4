import type { PreparedResource } from '../server/resource-source.js';
import { EncodedMessage, lengthDelimitedField, stringField } from './wire.js';

/**
 * Discovery responses built from each resource's cached wire fragment. Field numbers from
 * envoy/service/discovery/v3/discovery.proto:
 * DiscoveryResponse { version_info = 1; resources = 2; type_url = 4; nonce = 5 }
 * DeltaDiscoveryResponse { system_version_info = 1; resources = 2; type_url = 4; nonce = 5; removed_resources = 6 }
 * Resource { version = 1; resource = 2; name = 3 }
 */

const sotwBodies = new WeakMap<readonly PreparedResource[], Buffer>();
const deltaBodies = new WeakMap<readonly PreparedResource[], Buffer>();

/**
 * The `resources` fields of a response, cached by the identity of the array: clients that receive
 * the same set (every sidecar with a wildcard CDS subscription, every client in a full push) share
 * one buffer.
 */
function body(
  cache: WeakMap<readonly PreparedResource[], Buffer>,
  resources: readonly PreparedResource[],
  field: (r: PreparedResource) => Buffer,
): Buffer {
  let bytes = cache.get(resources);
  if (!bytes) {
    bytes = Buffer.concat(resources.map(field));
    cache.set(resources, bytes);
  }
  return bytes;
}

export function encodeSotwResponse(response: {
  versionInfo: string;
  resources: readonly PreparedResource[];
  typeUrl: string;
  nonce: string;
}): EncodedMessage {
  return new EncodedMessage(
    Buffer.concat([
      stringField(1, response.versionInfo),
      body(sotwBodies, response.resources, (r) => r.sotwField),
      stringField(4, response.typeUrl),
      stringField(5, response.nonce),
    ]),
  );
}

export function encodeDeltaResponse(response: {
  systemVersionInfo: string;
  resources: readonly PreparedResource[];
  typeUrl: string;
  removed: readonly string[];
  nonce: string;
}): EncodedMessage {
  return new EncodedMessage(
    Buffer.concat([
      stringField(1, response.systemVersionInfo),
      body(deltaBodies, response.resources, (r) => r.deltaField),
      stringField(4, response.typeUrl),
      stringField(5, response.nonce),
      ...response.removed.map((name) => lengthDelimitedField(6, Buffer.from(name, 'utf8'))),
    ]),
  );
}
