import { createHash, X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';

import { peerUriSans } from '../tls/peer-identity.js';

/**
 * `x-forwarded-client-cert` as Envoy's HTTP connection manager handles it
 * (`ConnectionManagerUtility::mutateXfccRequestHeader`), driven by the HCM's
 * `forward_client_cert_details` and `set_current_client_cert_details`: the caller's header is
 * removed unless the mode is ALWAYS_FORWARD_ONLY or the connection is mutual TLS with a verified
 * client certificate; APPEND_FORWARD and SANITIZE_SET then add this hop's details
 * (`By=<our URI SAN>;Hash=<client certificate SHA-256>;...`). The proto default is SANITIZE, so an
 * HCM that says nothing (every outbound one) forwards no XFCC at all.
 */

export const XFCC = 'x-forwarded-client-cert';

type Obj = Record<string, unknown>;

export type ForwardClientCertMode =
  'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';

/** In proto enum order, for configs that carry the number. */
const MODES: readonly ForwardClientCertMode[] = [
  'SANITIZE',
  'FORWARD_ONLY',
  'APPEND_FORWARD',
  'SANITIZE_SET',
  'ALWAYS_FORWARD_ONLY',
];

/** What this hop can tell about a verified client certificate, read once per connection. */
export interface ClientCertificate {
  /** This proxy's own URI SAN (`By`), when its certificate has one. */
  localUri?: string;
  /** Hex SHA-256 of the client certificate's DER. */
  hash: string;
  /** The client certificate's subject in RFC 2253 form (empty for Istio workload certificates). */
  subject: string;
  /** The first URI SAN, or empty. */
  uri: string;
  dns: string[];
  /** URL-encoded PEM of the certificate and of its chain, formatted when a config asks for them. */
  pem(): { cert: string; chain: string };
}

export function forwardClientCertMode(hcm: Obj): ForwardClientCertMode {
  const value = hcm['forward_client_cert_details'];
  if (typeof value === 'number') return MODES[value] ?? 'SANITIZE';
  // An unknown mode forwards nothing: failing closed keeps a forged header away from the app.
  return MODES.find((mode) => mode === value) ?? 'SANITIZE';
}

/** RFC 2253: the RDNs last-first, comma separated, specials escaped. */
function rfc2253(subject: PeerCertificate['subject'] | undefined): string {
  const escape = (v: string) => v.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])|( )$/g, '\\$1$2');
  return Object.entries(subject ?? {})
    .flatMap(([key, value]) => [value ?? []].flat().map((v) => `${key}=${escape(v)}`))
    .reverse()
    .join(',');
}

function chainOf(leaf: DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert;) {
    chain.push(cert.raw);
    const issuer: DetailedPeerCertificate | undefined = cert.issuerCertificate;
    cert = issuer && issuer !== cert && issuer.raw && !issuer.raw.equals(cert.raw) ? issuer : undefined;
  }
  return chain;
}

/** The verified client certificate of a terminated TLS connection, or undefined (none, or not verified). */
export function clientCertificateOf(socket: TLSSocket): ClientCertificate | undefined {
  if (!socket.authorized) return undefined;
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return undefined;
  const sans = (peer.subjectaltname ?? '').split(/,\s*/);
  const localUri = peerUriSans(socket.getCertificate() as PeerCertificate | undefined)[0];
  let pem: { cert: string; chain: string } | undefined;
  return {
    ...(localUri ? { localUri } : {}),
    hash: createHash('sha256').update(peer.raw).digest('hex'),
    subject: rfc2253(peer.subject),
    uri: peerUriSans(peer)[0] ?? '',
    dns: sans.filter((san) => san.startsWith('DNS:')).map((san) => san.slice(4)),
    pem: () => {
      const encode = (der: Buffer) => encodeURIComponent(new X509Certificate(der).toString());
      pem ??= { cert: encode(peer.raw), chain: chainOf(peer).map(encode).join('') };
      return pem;
    },
  };
}

function enabled(details: Obj, name: string): boolean {
  const value = details[name];
  // `subject` is a BoolValue; the others are plain booleans.
  return value === true || (typeof value === 'object' && value !== null && (value as Obj)['value'] === true);
}

/** This hop's element, in Envoy's order: By, Hash, then Cert, Chain, Subject, URI, DNS as configured. */
function currentDetails(hcm: Obj, client: ClientCertificate): string {
  const details = (hcm['set_current_client_cert_details'] ?? {}) as Obj;
  const parts: string[] = [];
  if (client.localUri) parts.push(`By=${client.localUri}`);
  parts.push(`Hash=${client.hash}`);
  if (enabled(details, 'cert')) parts.push(`Cert="${client.pem().cert}"`);
  if (enabled(details, 'chain')) parts.push(`Chain="${client.pem().chain}"`);
  if (enabled(details, 'subject')) parts.push(`Subject="${client.subject.replace(/"/g, '\\"')}"`);
  if (enabled(details, 'uri')) parts.push(`URI=${client.uri}`);
  if (enabled(details, 'dns')) for (const dns of client.dns) parts.push(`DNS=${dns}`);
  return parts.join(';');
}

/**
 * The XFCC value to send upstream for a request that arrived with `incoming`, or undefined to send
 * none. `client` is the connection's verified client certificate (undefined for plaintext, TLS
 * without a client certificate, or a certificate that did not verify).
 */
export function upstreamXfcc(
  incoming: string | string[] | undefined,
  hcm: Obj,
  client: ClientCertificate | undefined,
): string | undefined {
  const mode = forwardClientCertMode(hcm);
  const forwarded = Array.isArray(incoming) ? incoming.join(',') : incoming;
  if (mode === 'ALWAYS_FORWARD_ONLY') return forwarded;
  if (mode === 'SANITIZE' || !client) return undefined;
  if (mode === 'FORWARD_ONLY') return forwarded;
  const current = currentDetails(hcm, client);
  return mode === 'APPEND_FORWARD' && forwarded ? `${forwarded},${current}` : current;
}
