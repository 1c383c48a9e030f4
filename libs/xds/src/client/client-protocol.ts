import type { PackedAny } from '../codec/any.js';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
  NodeMessage,
} from '../protocol/discovery-messages.js';
import type { ClientTypeState } from './type-state.js';

const INVALID_ARGUMENT = 3;

/** A response reduced to what the client needs, whichever protocol carried it. */
export interface ParsedResponse {
  typeUrl: string;
  nonce: string;
  version: string;
  items: { name?: string; version?: string; any: PackedAny }[];
  /** Names removed by the server; 'omitted' means "whatever this full-state response lacks". */
  removed: string[] | 'omitted';
}

/** The wire differences between state-of-the-world and delta, as seen by the client. */
export interface ClientProtocol<Req = unknown, Res = unknown> {
  readonly method: 'StreamAggregatedResources' | 'DeltaAggregatedResources';
  /** The request that (re)starts a subscription on a new stream, telling the server what we hold. */
  initialRequest(state: ClientTypeState, node: NodeMessage | undefined): Req;
  subscriptionChange(state: ClientTypeState, added: readonly string[], removed: readonly string[]): Req;
  parse(response: Res, fullState: boolean): ParsedResponse;
  ack(state: ClientTypeState, nonce: string, version: string): Req;
  nack(state: ClientTypeState, nonce: string, message: string): Req;
}

/** Subscribed names with an explicit `*` for wildcard (never the legacy empty list, which is ambiguous for RDS/EDS). */
function subscribedNames(state: ClientTypeState): string[] {
  return state.wildcard ? ['*', ...state.names] : [...state.names];
}

export const sotwProtocol: ClientProtocol<DiscoveryRequest, DiscoveryResponse> = {
  method: 'StreamAggregatedResources',
  initialRequest: (state, node) => ({
    node,
    type_url: state.typeUrl,
    resource_names: subscribedNames(state),
    version_info: state.ackedVersion,
  }),
  subscriptionChange: (state) => ({
    type_url: state.typeUrl,
    resource_names: subscribedNames(state),
    version_info: state.ackedVersion,
    response_nonce: state.lastNonce,
  }),
  parse: (response, fullState) => ({
    typeUrl: response.type_url ?? '',
    nonce: response.nonce ?? '',
    version: response.version_info ?? '',
    items: (response.resources ?? []).map((any) => ({ any })),
    removed: fullState ? 'omitted' : [],
  }),
  ack: (state, nonce, version) => ({
    type_url: state.typeUrl,
    resource_names: subscribedNames(state),
    version_info: version,
    response_nonce: nonce,
  }),
  nack: (state, nonce, message) => ({
    type_url: state.typeUrl,
    resource_names: subscribedNames(state),
    version_info: state.ackedVersion,
    response_nonce: nonce,
    error_detail: { code: INVALID_ARGUMENT, message },
  }),
};

export const deltaProtocol: ClientProtocol<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = {
  method: 'DeltaAggregatedResources',
  initialRequest: (state, node) => {
    const initialVersions: Record<string, string> = {};
    for (const [name, held] of state.resources) initialVersions[name] = held.version;
    return {
      node,
      type_url: state.typeUrl,
      resource_names_subscribe: subscribedNames(state),
      initial_resource_versions: initialVersions,
    };
  },
  subscriptionChange: (state, added, removed) => ({
    type_url: state.typeUrl,
    resource_names_subscribe: [...added],
    resource_names_unsubscribe: [...removed],
  }),
  parse: (response) => ({
    typeUrl: response.type_url ?? '',
    nonce: response.nonce ?? '',
    version: response.system_version_info ?? '',
    items: (response.resources ?? [])
      .filter((r) => r.resource !== undefined && r.resource !== null)
      .map((r) => ({ name: r.name, version: r.version, any: r.resource as PackedAny })),
    removed: [...(response.removed_resources ?? [])],
  }),
  ack: (state, nonce) => ({ type_url: state.typeUrl, response_nonce: nonce }),
  nack: (state, nonce, message) => ({
    type_url: state.typeUrl,
    response_nonce: nonce,
    error_detail: { code: INVALID_ARGUMENT, message },
  }),
};
