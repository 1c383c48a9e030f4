import type { ClientTLSSettings, MeshTlsConfig } from '@mesh/policy';

import { TLS_TRANSPORT_SOCKET } from '../../../envoy/known-filters.js';
import { UPSTREAM_TLS_CONTEXT_TYPE } from '../../../resources/tls-context.js';
import { upstreamTlsParams } from '../../tls-parameters.js';
import { SDS_ROOT_CA, SDS_WORKLOAD_CERT, sdsSecretConfig } from '../listeners/tls-context.js';
import { autoSniProtocolOptions, exactSanMatchers, originationContext } from './tls-origination.js';

type Obj = Record<string, unknown>;

const RAW_BUFFER = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';

/** Istio's in-mesh ALPN: metadata exchange, then `istio` (plus h2 for HTTP/2 upstreams). */
function istioAlpn(http2: boolean): string[] {
  return http2 ? ['istio-peer-exchange', 'istio', 'h2'] : ['istio-peer-exchange', 'istio'];
}

function tlsSocket(context: Obj): Obj {
  return {
    name: TLS_TRANSPORT_SOCKET,
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
      tls_certificate_sds_secret_configs: [sdsSecretConfig(SDS_WORKLOAD_CERT)],
      combined_validation_context: {
        default_validation_context: sans.length ? { match_subject_alt_names: exactSanMatchers(sans) } : {},
        validation_context_sds_secret_config: sdsSecretConfig(SDS_ROOT_CA),
      },
    },
    sni,
  });
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
 * for (SIMPLE and MUTUAL with auto SNI unless it names one), or with auto-mTLS a match that speaks ISTIO_MUTUAL to endpoints labelled `tlsMode: istio`
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
    const settings = tls as ClientTLSSettings;
    cluster['transport_socket'] = tlsSocket(originationContext(settings, opts));
    const protocolOptions = autoSniProtocolOptions(settings, opts.http2);
    if (protocolOptions) cluster['typed_extension_protocol_options'] = protocolOptions;
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
