import { type Static } from 'typebox';

import { enumOf, obj, opt, stringList } from '../schema-helpers.js';

/**
 * The TLS part of Istio's MeshConfig (`mesh` of the `istio` ConfigMap): `meshMTLS` shapes the server
 * side of Istio mTLS on every sidecar's inbound ports; `tlsDefaults` applies to TLS a DestinationRule
 * originates (SIMPLE, MUTUAL) and to Gateway servers that terminate TLS.
 */

/** `MeshConfig.TLSConfig.TLSProtocol`: only 1.2 and 1.3 can be asked for (TLS_AUTO is Envoy's default). */
export const MESH_TLS_PROTOCOLS = ['TLS_AUTO', 'TLSV1_2', 'TLSV1_3'] as const;
export type MeshTlsProtocol = (typeof MESH_TLS_PROTOCOLS)[number];

/** `MeshConfig.TLSConfig`. */
export const MeshTlsConfig = obj({
  minProtocolVersion: opt(enumOf([...MESH_TLS_PROTOCOLS], 'The minimum TLS protocol version.')),
  ecdhCurves: opt(stringList('ECDH curves offered; not allowed in `meshMTLS` (Istio rejects it there).')),
  cipherSuites: opt(
    stringList('TLS 1.2 suites by OpenSSL name; TLS 1.3 suites are not configurable in Envoy.'),
  ),
});
export type MeshTlsConfig = Static<typeof MeshTlsConfig>;
