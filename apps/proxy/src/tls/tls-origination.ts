import { isIP, Socket } from 'node:net';
import {
  connect as tlsConnect,
  createSecureContext,
  TLSSocket,
  type PeerCertificate,
  type SecureContext,
} from 'node:tls';

import type { EnvoyTransportSocket } from '@mesh/xds';

import {
  LEGACY_SAN_TYPES,
  matchesSubjectAltNames,
  peerSubjectAltNames,
  sanMatchersOf,
  type TypedSanMatcher,
} from './peer-identity.js';
import { TlsError } from './tls-error.js';
import { nodeTlsParameters } from './tls-parameters.js';
import { tlsMaterial, type SecretSources, type TlsMaterial } from './trust-sources.js';

/**
 * The client side of Envoy's UpstreamTlsContext: versions, suites and curves; the certificate it
 * presents; the roots the server is verified against (none configured: not verified, as Envoy);
 * SNI; and the server's SANs checked against the context's matchers, or against the SNI when the
 * cluster asked for `auto_sni_san_validation`. Mesh mTLS offers Istio's ALPN override; TLS a
 * DestinationRule originates offers its own ALPN only (Istio's `alpn_override: "false"`).
 */

type Obj = Record<string, unknown>;

export interface ValidationConfig {
  /** The SDS secret holding the roots (`ROOTCA`, `file-root:...`), when they come from one. */
  sds?: string;
  /** The (default) CertificateValidationContext: SAN matchers, inline roots, CRL. */
  context: Obj;
}

/** OpenSSL's certificate verification codes (`UNABLE_TO_GET_ISSUER_CERT_LOCALLY`): not errno, not ERR_*. */
function isVerifyError(code: string): boolean {
  return code.includes('_') && !code.startsWith('ERR_');
}

/** A socket that only fails: callers see the error the way they see a refused connection. */
function failedSocket(error: Error): TLSSocket {
  const socket = new TLSSocket(new Socket());
  setImmediate(() => socket.destroy(error));
  return socket;
}

function identityError(cert: PeerCertificate, matchers: readonly TypedSanMatcher[]): TlsError | undefined {
  const sans = peerSubjectAltNames(cert);
  if (matchesSubjectAltNames(sans, matchers)) return undefined;
  const presented = sans.map((san) => san.value).join(',') || '(none)';
  return new TlsError(
    'TLS_PEER_IDENTITY',
    `server identity ${presented} is not one of the expected ${describeMatchers(matchers)}`,
  );
}

/** Matchers as configured: an untyped one (every string SAN type) once, a typed one with its type. */
function describeMatchers(matchers: readonly TypedSanMatcher[]): string {
  const types = new Map<string, string[]>();
  for (const { san_type, matcher } of matchers) {
    const key = JSON.stringify(matcher);
    types.set(key, [...(types.get(key) ?? []), san_type]);
  }
  return [...types]
    .map(([matcher, sanTypes]) =>
      sanTypes.length === LEGACY_SAN_TYPES.length ? matcher : `${sanTypes.join('|')} ${matcher}`,
    )
    .join(', ');
}

export class TlsOriginator {
  readonly #contexts = new Map<string, SecureContext>();

  constructor(private readonly sources: SecretSources) {}

  /**
   * Opens TLS to an upstream as `transport` says; `alpnOverride` is Istio's (`istio-http/1.1`,
   * `istio-h2`, `istio`) for mesh mTLS. Failures (a secret the proxy cannot have, no name to verify
   * the server against) surface as the socket's error, like a handshake failure.
   */
  connect(
    target: { host: string; port: number },
    transport: EnvoyTransportSocket,
    validation: ValidationConfig,
    alpnOverride?: readonly string[],
  ): TLSSocket {
    try {
      return this.#connect(target, transport, validation, alpnOverride);
    } catch (err) {
      return failedSocket(err as Error);
    }
  }

  #connect(
    target: { host: string; port: number },
    transport: EnvoyTransportSocket,
    validation: ValidationConfig,
    alpnOverride: readonly string[] | undefined,
  ): TLSSocket {
    const upstream = transport.typed_config ?? {};
    const common = (upstream['common_tls_context'] ?? {}) as Obj;
    const material = tlsMaterial(common, validation, this.sources);
    const sni = (upstream['sni'] as string | undefined) || undefined;
    const matchers = this.#matchers(upstream, validation, sni);
    if (matchers.length > 0 && material.trusts === undefined)
      throw new TlsError(
        'TLS_SERVER_NOT_TRUSTED',
        'SAN-based verification of peer certificates without trusted CA is insecure and not allowed',
      );
    const alpn =
      (validation.sds === 'ROOTCA' ? alpnOverride : undefined) ??
      ((common['alpn_protocols'] ?? []) as string[]);
    const socket = tlsConnect({
      host: target.host,
      port: target.port,
      secureContext: this.#context(upstream, common, material),
      ...(sni && isIP(sni) === 0 ? { servername: sni } : {}),
      ...(alpn.length > 0 ? { ALPNProtocols: [...alpn] } : {}),
      rejectUnauthorized: material.trusts !== undefined,
      // Node's host-name check is replaced by Envoy's SAN matchers (none: the chain alone decides).
      checkServerIdentity: (_host, cert) => (matchers.length > 0 ? identityError(cert, matchers) : undefined),
    });
    this.#explainFailures(socket, sni ?? `${target.host}:${target.port}`, material.trusts);
    return socket;
  }

  /** With `auto_sni_san_validation` the SNI replaces the configured matchers, as in Envoy. */
  #matchers(upstream: Obj, validation: ValidationConfig, sni: string | undefined): TypedSanMatcher[] {
    if (upstream['auto_sni_san_validation'] !== true) return sanMatchersOf(validation.context);
    if (!sni)
      throw new TlsError(
        'TLS_PEER_IDENTITY',
        'no server name to verify the certificate against: name the SNI or subjectAltNames in the DestinationRule',
      );
    return [{ san_type: 'DNS', matcher: { exact: sni } }];
  }

  /** One SecureContext per config and material version: building one parses every root. */
  #context(upstream: Obj, common: Obj, material: TlsMaterial): SecureContext {
    const key = `${material.version}|${JSON.stringify(upstream)}`;
    let context = this.#contexts.get(key);
    if (!context) {
      context = createSecureContext({
        ...nodeTlsParameters(common['tls_params'] as Obj | undefined, 'client'),
        ...(material.cert && material.key ? { cert: material.cert, key: material.key } : {}),
        ...(material.ca ? { ca: material.ca } : {}),
        ...(material.crl ? { crl: material.crl } : {}),
      });
      if (this.#contexts.size > 64) this.#contexts.clear();
      this.#contexts.set(key, context);
    }
    return context;
  }

  /** Says which server failed the handshake and against what it was verified, before callers see it. */
  #explainFailures(socket: TLSSocket, server: string, trusts: string | undefined): void {
    let secured = false;
    socket.once('secureConnect', () => (secured = true));
    socket.prependOnceListener('error', (err: Error) => {
      if (secured || err instanceof TlsError) return;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (isVerifyError(code))
        err.message = `server certificate of ${server} is not trusted by ${trusts}: ${err.message}`;
      else if (code.startsWith('ERR_SSL'))
        err.message = `TLS handshake with ${server} failed: ${err.message}`;
    });
  }
}
