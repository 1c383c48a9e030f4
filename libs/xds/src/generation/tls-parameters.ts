import type { MeshTlsConfig } from '@mesh/policy';

/**
 * Envoy `TlsParameters` from Istio's TLS settings, one builder for every TLS context istiod writes.
 * Istio layers them: a base for the kind of context, then MeshConfig (`meshMTLS` for inbound mTLS,
 * `tlsDefaults` for SIMPLE/MUTUAL), then the resource's own settings (a Gateway server's
 * `minProtocolVersion`, `maxProtocolVersion`, `cipherSuites`); each layer replaces what it sets.
 */

export interface EnvoyTlsParams {
  tls_minimum_protocol_version?: string;
  tls_maximum_protocol_version?: string;
  cipher_suites?: string[];
  ecdh_curves?: string[];
}

/** One layer in Istio's terms: MeshConfig `TLSConfig` or the TLS fields of `ServerTLSSettings`. */
export interface TlsSettingsLayer {
  minProtocolVersion?: string;
  maxProtocolVersion?: string;
  cipherSuites?: readonly string[];
  ecdhCurves?: readonly string[];
}

/** Istio enum → Envoy enum; `TLS_AUTO` (unset) leaves the version below it in force. */
const ENVOY_PROTOCOL: Readonly<Record<string, string>> = {
  TLSV1_0: 'TLSv1_0',
  TLSV1_1: 'TLSv1_1',
  TLSV1_2: 'TLSv1_2',
  TLSV1_3: 'TLSv1_3',
};

/**
 * Istio's `SupportedCiphers`: the TLS 1.2 suites a sidecar accepts on inbound mTLS unless
 * `meshMTLS.cipherSuites` says otherwise (TLS 1.3 suites are BoringSSL's fixed set).
 */
export const ISTIO_MTLS_CIPHER_SUITES: readonly string[] = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
];

/** Each layer in turn over `base`; empty lists and TLS_AUTO set nothing (Istio's `len(...) > 0` checks). */
export function layeredTlsParams(
  base: EnvoyTlsParams,
  ...layers: readonly (TlsSettingsLayer | undefined)[]
): EnvoyTlsParams {
  const params: EnvoyTlsParams = { ...base };
  for (const layer of layers) {
    if (!layer) continue;
    const min = ENVOY_PROTOCOL[layer.minProtocolVersion ?? ''];
    const max = ENVOY_PROTOCOL[layer.maxProtocolVersion ?? ''];
    if (min) params.tls_minimum_protocol_version = min;
    if (max) params.tls_maximum_protocol_version = max;
    if (layer.cipherSuites?.length) params.cipher_suites = [...layer.cipherSuites];
    if (layer.ecdhCurves?.length) params.ecdh_curves = [...layer.ecdhCurves];
  }
  return params;
}

/**
 * Inbound Istio mTLS (`BuildInboundTLS`): TLS 1.2 (1.3 when `meshMTLS.minProtocolVersion` says so)
 * to 1.3, `meshMTLS.cipherSuites` or Istio's list. `meshMTLS` has no curves (Istio rejects them).
 */
export function inboundMtlsTlsParams(meshMtls: MeshTlsConfig | undefined): EnvoyTlsParams {
  return layeredTlsParams(
    {
      tls_minimum_protocol_version: 'TLSv1_2',
      tls_maximum_protocol_version: 'TLSv1_3',
      cipher_suites: [...ISTIO_MTLS_CIPHER_SUITES],
    },
    meshMtls && {
      ...(meshMtls.minProtocolVersion === 'TLSV1_3' ? { minProtocolVersion: 'TLSV1_3' } : {}),
      ...(meshMtls.cipherSuites ? { cipherSuites: meshMtls.cipherSuites } : {}),
    },
  );
}

/**
 * Originated TLS (`defaultUpstreamCommonTLSContext`): TLS 1.2–1.3, Envoy's client default being 1.2
 * at most. SIMPLE and MUTUAL take the curves and suites of `tlsDefaults` (`applyTLSDefaults`, which
 * leaves the versions alone); ISTIO_MUTUAL passes no `tlsDefaults`.
 */
export function upstreamTlsParams(tlsDefaults?: MeshTlsConfig): EnvoyTlsParams {
  return layeredTlsParams(
    { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
    tlsDefaults && {
      ...(tlsDefaults.cipherSuites ? { cipherSuites: tlsDefaults.cipherSuites } : {}),
      ...(tlsDefaults.ecdhCurves ? { ecdhCurves: tlsDefaults.ecdhCurves } : {}),
    },
  );
}
