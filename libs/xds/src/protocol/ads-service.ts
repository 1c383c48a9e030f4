import type { ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';

import { messageType } from '../codec/proto-root.js';
import { EncodedMessage } from './wire.js';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
} from './discovery-messages.js';

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

/**
 * Requests are small and rare, so they go through `fromObject`/`toObject` (full conversion, Struct
 * node metadata included). Responses are the hot path: they are encoded straight from plain objects
 * whose resources are already-encoded `Any` bytes, and decoded into protobufjs message objects
 * without a second conversion pass.
 */
function requestCodec<T>(type: protobuf.Type) {
  return {
    serialize: (message: T): Buffer => Buffer.from(type.encode(type.fromObject(message as object)).finish()),
    deserialize: (bytes: Buffer): T =>
      type.toObject(type.decode(bytes), { longs: String, enums: String }) as T,
  };
}

function responseCodec<T>(type: protobuf.Type) {
  return {
    // The server assembles its responses from cached wire fragments (EncodedMessage); other callers
    // (tests, tools) may still hand over plain objects.
    serialize: (message: T | EncodedMessage): Buffer =>
      message instanceof EncodedMessage
        ? message.bytes
        : Buffer.from(type.encode(message as object).finish()),
    deserialize: (bytes: Buffer): T => type.decode(bytes) as unknown as T,
  };
}

function streamMethod<Req, Res>(
  name: string,
  request: ReturnType<typeof requestCodec<Req>>,
  response: ReturnType<typeof responseCodec<Res>>,
) {
  return {
    path: `/${SERVICE}/${name}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
    originalName: name,
  };
}

let cached: ServiceDefinition | undefined;

/** The gRPC definition of Envoy's AggregatedDiscoveryService (SotW and delta), built on the shared Envoy root. */
export function adsServiceDefinition(): ServiceDefinition {
  cached ??= {
    StreamAggregatedResources: streamMethod<DiscoveryRequest, DiscoveryResponse>(
      'StreamAggregatedResources',
      requestCodec(messageType('envoy.service.discovery.v3.DiscoveryRequest')),
      responseCodec(messageType('envoy.service.discovery.v3.DiscoveryResponse')),
    ),
    DeltaAggregatedResources: streamMethod<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(
      'DeltaAggregatedResources',
      requestCodec(messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest')),
      responseCodec(messageType('envoy.service.discovery.v3.DeltaDiscoveryResponse')),
    ),
  };
  return cached;
}
