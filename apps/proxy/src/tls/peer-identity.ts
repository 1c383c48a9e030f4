import type { PeerCertificate, TLSSocket } from 'node:tls';

import { matchesString, type EnvoyStringMatcher } from '@mesh/xds';

/**
 * Who the peer of a TLS connection is, by the subject alternative names of its certificate, and
 * Envoy's SAN matching (`CertificateValidationContext.match_typed_subject_alt_names` and the older
 * `match_subject_alt_names`): SPIFFE URIs for mesh workloads, DNS names for servers outside the mesh.
 */

export type SanType = 'DNS' | 'URI' | 'EMAIL' | 'IP_ADDRESS' | 'OTHER_NAME';

export interface SubjectAltName {
  type: SanType;
  value: string;
}

/** `SubjectAltNameMatcher`: a string matcher restricted to one SAN type. */
export interface TypedSanMatcher {
  san_type: SanType;
  matcher: EnvoyStringMatcher;
}

/** Node's names of SAN types in `subjectaltname` (`DNS:`, `URI:`, `email:`, `IP Address:`). */
const NODE_SAN_TYPES: Readonly<Record<string, SanType>> = {
  DNS: 'DNS',
  URI: 'URI',
  email: 'EMAIL',
  'IP Address': 'IP_ADDRESS',
};

/** Envoy turns each untyped matcher into one per SAN type it can compare as a string. */
export const LEGACY_SAN_TYPES: readonly SanType[] = ['DNS', 'URI', 'EMAIL', 'IP_ADDRESS'];

/**
 * The SANs of a certificate from Node's `subjectaltname` text: `DNS:a.example, URI:spiffe://...`, where
 * a value holding a comma or a quote comes JSON-quoted (`DNS:"a,b"`).
 */
export function peerSubjectAltNames(cert: PeerCertificate | undefined): SubjectAltName[] {
  const text = cert?.subjectaltname ?? '';
  const sans: SubjectAltName[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) break;
    const type = NODE_SAN_TYPES[text.slice(at, colon)] ?? 'OTHER_NAME';
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      const quoted = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(colon + 1))?.[0] ?? '""';
      value = JSON.parse(quoted) as string;
      end = colon + 1 + quoted.length;
    } else {
      end = text.indexOf(', ', colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    sans.push({ type, value });
    at = end + 2;
  }
  return sans;
}

/** The URI SANs of a certificate (`spiffe://...` for mesh workloads). */
export function peerUriSans(cert: PeerCertificate | undefined): string[] {
  return peerSubjectAltNames(cert)
    .filter((san) => san.type === 'URI')
    .map((san) => san.value);
}

/**
 * Envoy's `dnsNameMatch` for an exact DNS matcher: equal ignoring case, or the certificate's
 * `*.example.com` covering exactly one more label (`api.example.com`, not `a.b.example.com`).
 */
function dnsNameMatches(expected: string, san: string): boolean {
  const name = expected.toLowerCase();
  const pattern = san.toLowerCase();
  if (name === pattern) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  return name.endsWith(suffix) && name.length > suffix.length && !name.slice(0, -suffix.length).includes('.');
}

function sanMatches(matcher: TypedSanMatcher, san: SubjectAltName): boolean {
  if (matcher.san_type !== san.type) return false;
  if (san.type === 'DNS' && matcher.matcher.exact !== undefined)
    return dnsNameMatches(matcher.matcher.exact, san.value);
  return matchesString(matcher.matcher, san.value);
}

/** The matchers of a validation context, the untyped ones spread over every string SAN type. */
export function sanMatchersOf(validationContext: Record<string, unknown>): TypedSanMatcher[] {
  const typed = (validationContext['match_typed_subject_alt_names'] ?? []) as TypedSanMatcher[];
  const legacy = (validationContext['match_subject_alt_names'] ?? []) as EnvoyStringMatcher[];
  return [
    ...typed,
    ...legacy.flatMap((matcher) => LEGACY_SAN_TYPES.map((san_type) => ({ san_type, matcher }))),
  ];
}

/** Whether any SAN satisfies any matcher (Envoy accepts the certificate when one does). */
export function matchesSubjectAltNames(
  sans: readonly SubjectAltName[],
  matchers: readonly TypedSanMatcher[],
): boolean {
  return matchers.some((matcher) => sans.some((san) => sanMatches(matcher, san)));
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
