import type { MeshTlsConfig } from '@mesh/policy';

import { TLS_TRANSPORT_SOCKET } from '../../../envoy/known-filters.js';
import { DOWNSTREAM_TLS_CONTEXT_TYPE } from '../../../resources/tls-context.js';
import { inboundMtlsTlsParams } from '../../tls-parameters.js';

/**
 * The server side of Istio mTLS on inbound chains (istio-facts §7.3; `pilot/pkg/security/authn`
 * `BuildInboundTLS`): the workload certificate from SDS `default`, the trust bundle from SDS `ROOTCA`,
 * client certificates required, TLS versions and cipher suites from MeshConfig `meshMTLS` or Istio's
 * defaults (TLS 1.2–1.3, `SupportedCiphers`).
 */

type Obj = Record<string, unknown>;

/** SDS resource names the agent serves (DESIGN §2). */
export const SDS_WORKLOAD_CERT = 'default';
export const SDS_ROOT_CA = 'ROOTCA';
/** The bootstrap cluster of the agent's SDS server. */
export const SDS_CLUSTER = 'sds-grpc';

/** ALPNs a client sidecar offers on mTLS (`allIstioMtlsALPNs` in `pilot/pkg/networking/core`). */
export const ALL_ISTIO_MTLS_ALPNS = [
  'istio-peer-exchange',
  'istio',
  'istio-http/1.0',
  'istio-http/1.1',
  'istio-h2',
];
/** ALPNs of TCP over mTLS with metadata exchange (`mtlsTCPWithMxcALPNs`). */
export const MTLS_TCP_ALPNS = ['istio-peer-exchange', 'istio'];

/** What the server negotiates: HTTP chains must not offer `istio` (it would break h2 negotiation). */
const SERVER_ALPN_HTTP = ['h2', 'http/1.1'];
const SERVER_ALPN_TCP = ['istio-peer-exchange', 'h2', 'http/1.1'];

/** Istio's `ConstructSdsSecretConfig`: the secret comes from the agent over gRPC. */
export function sdsSecretConfig(name: string): Obj {
  return {
    name,
    sds_config: {
      api_config_source: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [{ envoy_grpc: { cluster_name: SDS_CLUSTER } }],
      },
      resource_api_version: 'V3',
    },
  };
}

/** The `envoy.transport_sockets.tls` socket terminating Istio mTLS for an HTTP or TCP chain. */
export function istioMtlsTransportSocket(http: boolean, meshMtls: MeshTlsConfig | undefined): Obj {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: {
      '@type': DOWNSTREAM_TLS_CONTEXT_TYPE,
      common_tls_context: {
        tls_params: inboundMtlsTlsParams(meshMtls),
        alpn_protocols: http ? SERVER_ALPN_HTTP : SERVER_ALPN_TCP,
        tls_certificate_sds_secret_configs: [sdsSecretConfig(SDS_WORKLOAD_CERT)],
        combined_validation_context: {
          // No SAN restriction: any identity the root signed; AuthorizationPolicy narrows it.
          default_validation_context: {},
          validation_context_sds_secret_config: sdsSecretConfig(SDS_ROOT_CA),
        },
      },
      require_client_certificate: { value: true },
    },
  };
}
