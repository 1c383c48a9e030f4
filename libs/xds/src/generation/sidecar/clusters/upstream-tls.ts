import type { ClientTLSSettings, MeshTlsConfig } from '@mesh/policy';

import { UPSTREAM_TLS_CONTEXT_TYPE } from '../../../resources/tls-context.js';
import { upstreamTlsParams } from '../../tls-parameters.js';

type Obj = Record<string, unknown>;

const RAW_BUFFER = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';

/** The SDS source the sidecar's agent serves workload certificates from (bootstrap cluster `sds-grpc`). */
const SDS_CONFIG = {
  api_config_source: {
    api_type: 'GRPC',
    transport_api_version: 'V3',
    set_node_on_first_message_only: true,
    grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
  },
  resource_api_version: 'V3',
};

/** Istio's in-mesh ALPN: metadata exchange, then `istio` (plus h2 for HTTP/2 upstreams). */
function istioAlpn(http2: boolean): string[] {
  return http2 ? ['istio-peer-exchange', 'istio', 'h2'] : ['istio-peer-exchange', 'istio'];
}

/**
 * Exact matchers against any SAN of the server certificate, in `match_subject_alt_names` as Istio
 * sends them (`util.StringToExactMatch`): typed matchers would need the SAN type of names users write.
 */
function sanMatchers(sans: readonly string[]): Obj[] {
  return sans.map((san) => ({ exact: san }));
}

function tlsSocket(context: Obj): Obj {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': UPSTREAM_TLS_CONTEXT_TYPE, ...context },
  };
}

/** Plaintext, as Istio writes it for the `tlsMode-disabled` match. */
export const RAW_BUFFER_SOCKET: Obj = {
  name: 'envoy.transport_sockets.raw_buffer',
  typed_config: { '@type': RAW_BUFFER },
};

/**
 * ISTIO_MUTUAL: the workload certificate `default` and the mesh root `ROOTCA` over SDS, the server's
 * identity checked against the service accounts behind the service.
 */
export function istioMutualSocket(sni: string, sans: readonly string[], http2: boolean): Obj {
  return tlsSocket({
    common_tls_context: {
      tls_params: upstreamTlsParams(),
      alpn_protocols: istioAlpn(http2),
      tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: SDS_CONFIG }],
      combined_validation_context: {
        default_validation_context: sans.length ? { match_subject_alt_names: sanMatchers(sans) } : {},
        validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: SDS_CONFIG },
      },
    },
    sni,
  });
}

/** SIMPLE / MUTUAL origination with the files the DestinationRule names (mounted in the proxy). */
function originationSocket(tls: ClientTLSSettings, opts: UpstreamTlsOptions): Obj {
  const common: Obj = { tls_params: upstreamTlsParams(opts.tlsDefaults) };
  if (opts.http2) common['alpn_protocols'] = ['h2'];
  if (tls.mode === 'MUTUAL' && tls.clientCertificate && tls.privateKey) {
    common['tls_certificates'] = [
      {
        certificate_chain: { filename: tls.clientCertificate },
        private_key: { filename: tls.privateKey },
      },
    ];
  }
  if (tls.caCertificates) {
    common['validation_context'] = {
      trusted_ca: { filename: tls.caCertificates },
      ...(tls.subjectAltNames?.length ? { match_subject_alt_names: sanMatchers(tls.subjectAltNames) } : {}),
    };
  }
  return tlsSocket({ common_tls_context: common, ...(tls.sni ? { sni: tls.sni } : {}) });
}

export interface UpstreamTlsOptions {
  /** Istio's SNI for in-mesh mTLS when the DestinationRule names none. */
  sni: string;
  /** SPIFFE IDs of the service's workloads, for ISTIO_MUTUAL when the rule lists no SANs. */
  serviceSans: readonly string[];
  http2: boolean;
  /** Auto-mTLS applies (mesh setting on, cluster not original-destination). */
  autoMtls: boolean;
  /** MeshConfig `tlsDefaults`, for SIMPLE and MUTUAL. */
  tlsDefaults?: MeshTlsConfig;
}

/**
 * The transport sockets of an outbound cluster (Istio's `applyUpstreamTLSSettings`): TLS the rule asks
 * for, or with auto-mTLS a match that speaks ISTIO_MUTUAL to endpoints labelled `tlsMode: istio`
 * and plaintext to the rest.
 */
export function applyUpstreamTls(
  cluster: Obj,
  tls: ClientTLSSettings | undefined,
  opts: UpstreamTlsOptions,
): void {
  const mode = tls?.mode ?? (tls ? 'DISABLE' : undefined);
  if (mode === 'DISABLE') return;
  if (mode === 'SIMPLE' || mode === 'MUTUAL') {
    cluster['transport_socket'] = originationSocket(tls as ClientTLSSettings, opts);
    return;
  }
  if (mode === 'ISTIO_MUTUAL') {
    const sans = tls?.subjectAltNames?.length ? tls.subjectAltNames : opts.serviceSans;
    cluster['transport_socket'] = istioMutualSocket(tls?.sni ?? opts.sni, sans, opts.http2);
    return;
  }
  if (!opts.autoMtls) return;
  cluster['transport_socket_matches'] = [
    {
      name: 'tlsMode-istio',
      match: { fields: { tlsMode: { string_value: 'istio' } } },
      transport_socket: istioMutualSocket(opts.sni, opts.serviceSans, opts.http2),
    },
    { name: 'tlsMode-disabled', match: {}, transport_socket: RAW_BUFFER_SOCKET },
  ];
}
