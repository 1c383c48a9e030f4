import { cipherSuiteNames, isValidEcdhCurve } from '@mesh/policy';

import type { CanonicalAny } from './common-checks.js';
import type { IssueCollector } from './validation.js';

/**
 * What Envoy refuses in a TLS transport socket (Upstream/DownstreamTlsContext): a cipher suite or
 * curve BoringSSL does not know (it rejects the whole list, so the listener or cluster fails), a
 * minimum version above the maximum, an SNI that is not a host name BoringSSL can send.
 */

type Obj = Record<string, unknown>;

export const UPSTREAM_TLS_CONTEXT_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
export const DOWNSTREAM_TLS_CONTEXT_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** `TlsParameters.TlsProtocol` in enum order (canonical JSON may carry the name or the number). */
const TLS_PROTOCOLS = ['TLS_AUTO', 'TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'];

function protocolRank(value: unknown): number {
  return typeof value === 'number' ? value : TLS_PROTOCOLS.indexOf(String(value ?? 'TLS_AUTO'));
}

function checkTlsParams(at: IssueCollector, params: Obj): void {
  const min = protocolRank(params['tls_minimum_protocol_version']);
  const max = protocolRank(params['tls_maximum_protocol_version']);
  if (min > 0 && max > 0)
    at.field('tls_minimum_protocol_version').check(
      min <= max,
      `minimum ${TLS_PROTOCOLS[min]} is above the maximum ${TLS_PROTOCOLS[max]}`,
    );
  ((params['cipher_suites'] ?? []) as string[]).forEach((suite, i) => {
    at.field('cipher_suites')
      .index(i)
      .check(
        cipherSuiteNames(suite) !== undefined,
        `unknown cipher suite ${JSON.stringify(suite)} (TLS 1.2 suites by OpenSSL name, e.g. ECDHE-ECDSA-AES256-GCM-SHA384)`,
      );
  });
  ((params['ecdh_curves'] ?? []) as string[]).forEach((curve, i) => {
    at.field('ecdh_curves')
      .index(i)
      .check(isValidEcdhCurve(curve), `unknown ECDH curve ${JSON.stringify(curve)} (e.g. X25519, P-256)`);
  });
}

/** Checks the `typed_config` of an `envoy.transport_sockets.tls` socket (at `at`). */
export function checkTlsContext(at: IssueCollector, config: CanonicalAny): void {
  const type = config['@type'];
  if (type !== UPSTREAM_TLS_CONTEXT_TYPE && type !== DOWNSTREAM_TLS_CONTEXT_TYPE) return;
  const common = config['common_tls_context'] as Obj | undefined;
  const params = common?.['tls_params'] as Obj | undefined;
  if (params) checkTlsParams(at.field('common_tls_context.tls_params'), params);
  const sni = config['sni'];
  if (typeof sni === 'string')
    at.field('sni').check(!sni.includes('\0'), 'SNI names containing NULL-byte are not allowed');
}
