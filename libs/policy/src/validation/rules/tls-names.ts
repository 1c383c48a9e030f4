/**
 * The TLS names Envoy (BoringSSL) accepts, as Istio's `pkg/security` lists them: a cipher suite or
 * curve outside these makes Envoy reject the listener or cluster, so Istio's validation reports them
 * before they reach a proxy. One list for MeshConfig, Gateway and Sidecar validation and for the xDS
 * resource checks of the proxy.
 */

/** `ValidCipherSuites`: TLS 1.0–1.2 suites by their OpenSSL names (TLS 1.3 suites are not configurable). */
export const ENVOY_CIPHER_SUITES: ReadonlySet<string> = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
]);

/** `ValidECDHCurves` (BoringSSL's `kNamedGroups`). */
export const ENVOY_ECDH_CURVES: ReadonlySet<string> = new Set([
  'P-224',
  'P-256',
  'P-521',
  'P-384',
  'X25519',
  'X25519Kyber768Draft00',
  'X25519MLKEM768',
]);

/**
 * One entry of a cipher list: a suite name or a BoringSSL equal-preference group `[A|B]` of names.
 * The names it is made of, or undefined when it is neither.
 */
export function cipherSuiteNames(entry: string): string[] | undefined {
  const group = /^\[(.+)\]$/.exec(entry);
  const names = group ? (group[1] as string).split('|') : [entry];
  return names.every((name) => ENVOY_CIPHER_SUITES.has(name)) ? names : undefined;
}

/** Whether Envoy accepts `entry` in `cipher_suites`. */
export function isValidCipherSuite(entry: string): boolean {
  return cipherSuiteNames(entry) !== undefined;
}

export function isValidEcdhCurve(curve: string): boolean {
  return ENVOY_ECDH_CURVES.has(curve);
}
