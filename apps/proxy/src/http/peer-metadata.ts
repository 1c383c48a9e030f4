import { codecFor, jsonToStruct, structToJson, type JsonValue, type ProtoStruct } from '@mesh/xds';

/**
 * Istio's HTTP metadata exchange: the calling sidecar sends its node metadata in
 * `x-envoy-peer-metadata` (a base64 protobuf Struct) and its id in `x-envoy-peer-metadata-id`; the
 * called sidecar strips them, reports them as the source of the request, and answers with its own in
 * the response, which the caller strips and reports as the destination. That is how both reporters
 * of `istio_requests_total` know both workloads.
 */

export const PEER_METADATA = 'x-envoy-peer-metadata';
export const PEER_METADATA_ID = 'x-envoy-peer-metadata-id';

/** The node metadata fields the exchange carries (Istio's names). */
export interface PeerMetadata {
  NAME?: string;
  NAMESPACE?: string;
  WORKLOAD_NAME?: string;
  SERVICE_ACCOUNT?: string;
  CLUSTER_ID?: string;
  LABELS?: Record<string, string>;
}

const structCodec = () => codecFor<ProtoStruct>('google.protobuf.Struct');

export function encodePeerMetadata(metadata: PeerMetadata): string {
  return structCodec()
    .encode(jsonToStruct(metadata as Record<string, JsonValue>))
    .toString('base64');
}

/** Decoded headers: a proxy talks to few peers, each sending the same value on every request. */
const decoded = new Map<string, PeerMetadata | undefined>();
const MAX_CACHED = 1024;

/** The peer's metadata, or undefined when the header is absent or not a Struct (never throws). */
export function decodePeerMetadata(header: string | string[] | undefined): PeerMetadata | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (decoded.has(value)) return decoded.get(value);
  if (decoded.size >= MAX_CACHED) decoded.clear();
  const metadata = decodeStruct(value);
  decoded.set(value, metadata);
  return metadata;
}

function decodeStruct(value: string): PeerMetadata | undefined {
  try {
    const json = structToJson(structCodec().decode(Buffer.from(value, 'base64')));
    return json && typeof json === 'object' && !Array.isArray(json) ? (json as PeerMetadata) : undefined;
  } catch {
    return undefined;
  }
}
