import type { PeerCertificate, TLSSocket } from 'node:tls';

import { matchesString, type EnvoyStringMatcher } from '@mesh/xds';

/** A `match_subject_alt_names` entry: a string matcher, optionally restricted to one SAN type. */
export type SanMatcher = EnvoyStringMatcher & { san_type?: string };

/** The URI SANs of a certificate (`spiffe://...` for mesh workloads), from Node's `subjectaltname`. */
export function peerUriSans(cert: PeerCertificate | undefined): string[] {
  const text = cert?.subjectaltname ?? '';
  return text
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
}

/** Whether any SAN satisfies any matcher (Envoy: the certificate is accepted when one does). */
export function matchesSubjectAltNames(sans: readonly string[], matchers: readonly SanMatcher[]): boolean {
  return matchers.some((matcher) => sans.some((san) => matchesString(matcher, san)));
}

/**
 * The verified peer's SPIFFE identity without `spiffe://` (Istio's `source.principal`), or undefined
 * when the connection is not TLS or the peer sent no verified certificate.
 */
export function peerPrincipal(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const spiffe = peerUriSans(socket.getPeerCertificate()).find((san) => san.startsWith('spiffe://'));
  return spiffe?.slice('spiffe://'.length);
}
