import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

import { matchesSubjectAltNames, peerSubjectAltNames, sanMatchersOf } from './peer-identity.js';

/**
 * What a server's CertificateValidationContext asks of a client certificate beyond the chain Node
 * verified: a certificate that is presented is verified even when none is required (Envoy fails an
 * OPTIONAL_MUTUAL handshake on an untrusted one), its SANs must match `match_typed_subject_alt_names`
 * (or `match_subject_alt_names`), and its hash must be one of `verify_certificate_hash` or its public
 * key one of `verify_certificate_spki` (either list accepts it when both are set, as in Envoy).
 */

type Obj = Record<string, unknown>;

/** Envoy takes hashes as hex, upper or lower case, with or without colons. */
const normalHash = (hash: string) => hash.replaceAll(':', '').toLowerCase();

function pinned(raw: Buffer, context: Obj): boolean | undefined {
  const hashes = ((context['verify_certificate_hash'] ?? []) as string[]).map(normalHash);
  const spkis = (context['verify_certificate_spki'] ?? []) as string[];
  if (hashes.length === 0 && spkis.length === 0) return undefined;
  if (hashes.includes(createHash('sha256').update(raw).digest('hex'))) return true;
  if (spkis.length === 0) return false;
  const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
  return spkis.includes(createHash('sha256').update(spki).digest('base64'));
}

/** Why a handshaken client must be refused; undefined when it may go on. */
export function clientCertificateProblem(socket: TLSSocket, context: Obj): string | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined; // Node enforced a required one
  if (!socket.authorized)
    return `client certificate not trusted: ${String(socket.authorizationError ?? 'unverified')}`;
  const matchers = sanMatchersOf(context);
  if (matchers.length > 0 && !matchesSubjectAltNames(peerSubjectAltNames(cert), matchers))
    return 'client certificate SANs match none of the configured subject alt names';
  if (pinned(cert.raw, context) === false)
    return 'client certificate matches no verify_certificate_hash or verify_certificate_spki';
  return undefined;
}
