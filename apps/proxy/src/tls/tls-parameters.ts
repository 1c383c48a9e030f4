import { createSecureContext, getCiphers } from 'node:tls';

import { cipherSuiteNames } from '@mesh/policy';

/**
 * Envoy's `TlsParameters` applied with Node's TLS (OpenSSL), the way Envoy applies them with BoringSSL:
 * the versions bound the handshake, `cipher_suites` restricts TLS 1.2 and below while TLS 1.3 keeps
 * BoringSSL's fixed suites, `ecdh_curves` are the key-exchange groups. Unset fields take Envoy's
 * defaults (`ContextConfigImpl`), which differ between clients and servers.
 */

type Obj = Record<string, unknown>;
type NodeTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface NodeTlsParameters {
  minVersion: NodeTlsVersion;
  maxVersion: NodeTlsVersion;
  /** TLS 1.3 suites first (Node routes `TLS_*` names to TLS 1.3), then the TLS 1.2 list. */
  ciphers: string;
  ecdhCurve: string;
}

/** `TlsParameters.TlsProtocol` by enum position (canonical JSON carries the name; the number also works). */
const PROTOCOLS: readonly (NodeTlsVersion | undefined)[] = [
  undefined,
  'TLSv1',
  'TLSv1.1',
  'TLSv1.2',
  'TLSv1.3',
];
const PROTOCOL_NAMES = ['TLS_AUTO', 'TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'];

/** BoringSSL's TLS 1.3 suites: always enabled, and not configurable in Envoy. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Envoy's default TLS 1.2 list (non-FIPS, clients and servers alike). */
const DEFAULT_CIPHER_SUITES = [
  '[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]',
  '[ECDHE-RSA-AES128-GCM-SHA256|ECDHE-RSA-CHACHA20-POLY1305]',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
];
const DEFAULT_CURVES = ['X25519', 'P-256'];

const DEFAULT_VERSIONS = {
  client: { min: 'TLSv1.2', max: 'TLSv1.2' },
  server: { min: 'TLSv1.2', max: 'TLSv1.3' },
} as const;

function protocolOf(value: unknown): NodeTlsVersion | undefined {
  const index = typeof value === 'number' ? value : PROTOCOL_NAMES.indexOf(String(value ?? 'TLS_AUTO'));
  return PROTOCOLS[index];
}

/** A BoringSSL list as OpenSSL takes it: equal-preference groups `[A|B]` become A then B. */
function openSslCipherList(entries: readonly string[]): string {
  return entries.flatMap((entry) => cipherSuiteNames(entry) ?? [entry]).join(':');
}

/** Node's options for the `tls_params` of a TLS context on the given side. */
export function nodeTlsParameters(params: Obj | undefined, side: 'client' | 'server'): NodeTlsParameters {
  const suites = (params?.['cipher_suites'] ?? []) as string[];
  const curves = (params?.['ecdh_curves'] ?? []) as string[];
  return {
    minVersion: protocolOf(params?.['tls_minimum_protocol_version']) ?? DEFAULT_VERSIONS[side].min,
    maxVersion: protocolOf(params?.['tls_maximum_protocol_version']) ?? DEFAULT_VERSIONS[side].max,
    ciphers: [...TLS13_SUITES, openSslCipherList(suites.length > 0 ? suites : DEFAULT_CIPHER_SUITES)].join(
      ':',
    ),
    ecdhCurve: (curves.length > 0 ? curves : DEFAULT_CURVES).join(':'),
  };
}

const AVAILABLE_CIPHERS = new Set(getCiphers());
const curveSupport = new Map<string, boolean>();

function curveAvailable(curve: string): boolean {
  let available = curveSupport.get(curve);
  if (available === undefined) {
    try {
      createSecureContext({ ecdhCurve: curve });
      available = true;
    } catch {
      available = false;
    }
    curveSupport.set(curve, available);
  }
  return available;
}

/**
 * What Envoy would accept in `tls_params` but this proxy's TLS library cannot do (e.g. 3DES, the
 * Kyber draft group): reasons to NACK, each with its field path under `at`. Names Envoy itself
 * rejects are reported by the resource validation that runs before.
 */
export function tlsParameterErrors(params: Obj | undefined, at: string): string[] {
  if (!params) return [];
  const errors: string[] = [];
  ((params['cipher_suites'] ?? []) as string[]).forEach((entry, i) => {
    for (const name of cipherSuiteNames(entry) ?? [])
      if (!AVAILABLE_CIPHERS.has(name.toLowerCase()))
        errors.push(
          `${at}.cipher_suites[${i}]: cipher suite ${name} is not available in this proxy's TLS library`,
        );
  });
  ((params['ecdh_curves'] ?? []) as string[]).forEach((curve, i) => {
    if (!curveAvailable(curve))
      errors.push(
        `${at}.ecdh_curves[${i}]: ECDH curve ${curve} is not available in this proxy's TLS library`,
      );
  });
  if (((params['signature_algorithms'] ?? []) as string[]).length > 0)
    errors.push(`${at}.signature_algorithms: not supported by this proxy`);
  return errors;
}

/** `tlsParameterErrors` of a transport socket at `at` (e.g. `Cluster x: transport_socket`). */
export function transportSocketErrors(socket: { typed_config?: Obj } | undefined, at: string): string[] {
  const common = socket?.typed_config?.['common_tls_context'] as Obj | undefined;
  return tlsParameterErrors(
    common?.['tls_params'] as Obj | undefined,
    `${at}.typed_config.common_tls_context.tls_params`,
  );
}
