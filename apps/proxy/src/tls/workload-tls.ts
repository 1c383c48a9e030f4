import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import {
  createSecureContext,
  createServer as createTlsServer,
  connect as tlsConnect,
  type SecureContext,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';

import type { EnvoyTransportSocket } from '@mesh/xds';

import type { WorkloadCertificate } from '../agent/index.js';
import { matchesSubjectAltNames, peerUriSans, type SanMatcher } from './peer-identity.js';
import { nodeTlsParameters } from './tls-parameters.js';

/**
 * The TLS of the data plane, as the chains and clusters from istiod describe it (Envoy's
 * DownstreamTlsContext and UpstreamTlsContext): the SDS secrets `default` and `ROOTCA` are the
 * workload certificate and trust bundle the agent holds, swapped in place when it renews, so
 * connections opened after a rotation use the new certificate without a restart.
 */

type Obj = Record<string, unknown>;

export class TlsError extends Error {
  override readonly name = 'TlsError';
  constructor(
    readonly code: 'TLS_NO_CERTIFICATE' | 'TLS_PEER_IDENTITY' | 'TLS_HANDSHAKE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function commonOf(socket: EnvoyTransportSocket): Obj {
  return (socket.typed_config?.['common_tls_context'] ?? {}) as Obj;
}

function usesWorkloadCertificate(common: Obj): boolean {
  const sds = (common['tls_certificate_sds_secret_configs'] ?? []) as { name?: string }[];
  return sds.some((s) => s.name === 'default');
}

function validationOf(common: Obj): { sds?: string; context: Obj } {
  const combined = common['combined_validation_context'] as
    | { default_validation_context?: Obj; validation_context_sds_secret_config?: { name?: string } }
    | undefined;
  if (combined)
    return {
      ...(combined.validation_context_sds_secret_config?.name
        ? { sds: combined.validation_context_sds_secret_config.name }
        : {}),
      context: combined.default_validation_context ?? {},
    };
  return { context: (common['validation_context'] ?? {}) as Obj };
}

function dataSource(source: unknown): string | undefined {
  const s = source as { filename?: string; inline_string?: string; inline_bytes?: string } | undefined;
  if (s?.filename) return readFileSync(s.filename, 'utf8');
  if (s?.inline_string) return s.inline_string;
  if (s?.inline_bytes) return Buffer.from(s.inline_bytes, 'base64').toString('utf8');
  return undefined;
}

export class WorkloadTls {
  #certificate: WorkloadCertificate | undefined;
  readonly #servers = new Map<string, TlsServer>();
  readonly #clientContexts = new Map<string, SecureContext>();
  readonly #pending = new WeakMap<Socket, { resolve: (s: TLSSocket) => void; reject: (e: Error) => void }>();

  /** Applies a new workload certificate (first issuance, renewal, root rotation). */
  update(certificate: WorkloadCertificate): void {
    this.#certificate = certificate;
  }

  get certificate(): WorkloadCertificate | undefined {
    return this.#certificate;
  }

  #workload(): WorkloadCertificate {
    if (!this.#certificate)
      throw new TlsError('TLS_NO_CERTIFICATE', 'the workload certificate has not been issued yet');
    return this.#certificate;
  }

  /**
   * Terminates TLS on an accepted connection as the chain's DownstreamTlsContext says; resolves once
   * the handshake is done and a required client certificate has been verified against the roots.
   * The handshake runs in a `tls.Server` (one per distinct chain config and certificate, never
   * listening): Node verifies client certificates only there, and HTTP/2 sessions work only on
   * sockets it made.
   */
  accept(socket: Socket, transport: EnvoyTransportSocket): Promise<TLSSocket> {
    const server = this.#serverFor(transport);
    return new Promise((resolve, reject) => {
      this.#pending.set(socket, { resolve, reject });
      server.emit('connection', socket);
    });
  }

  #serverFor(transport: EnvoyTransportSocket): TlsServer {
    const certificate = this.#workload();
    const key = `${certificate.serial}|${JSON.stringify(transport.typed_config ?? {})}`;
    let server = this.#servers.get(key);
    if (server) return server;
    const common = commonOf(transport);
    const required =
      (transport.typed_config?.['require_client_certificate'] as { value?: boolean } | undefined)?.value ===
      true;
    const offered = (common['alpn_protocols'] ?? []) as string[];
    server = createTlsServer({
      key: certificate.privateKeyPem,
      cert: certificate.certificateChainPem,
      ca: certificate.rootsPem,
      requestCert: required || validationOf(common).sds !== undefined,
      rejectUnauthorized: required,
      ...nodeTlsParameters(common['tls_params'] as Obj | undefined, 'server'),
      // The server's preference, as Envoy: h2 and http/1.1 for HTTP, istio-peer-exchange for TCP.
      ...(offered.length > 0
        ? {
            ALPNCallback: ({ protocols }: { protocols: string[] }) =>
              offered.find((p) => protocols.includes(p)) ?? protocols[0],
          }
        : {}),
    });
    // `_parent` is the accepted socket a server-made TLSSocket wraps (Node's own link between them).
    const parentOf = (tlsSocket: TLSSocket) => (tlsSocket as unknown as { _parent?: Socket })._parent;
    server.on('secureConnection', (tlsSocket: TLSSocket) => {
      const parent = parentOf(tlsSocket);
      const waiter = parent && this.#pending.get(parent);
      if (!parent || !waiter) {
        tlsSocket.destroy();
        return;
      }
      this.#pending.delete(parent);
      waiter.resolve(tlsSocket);
    });
    server.on('tlsClientError', (err: Error, tlsSocket: TLSSocket) => {
      const parent = parentOf(tlsSocket);
      const waiter = parent && this.#pending.get(parent);
      if (!parent || !waiter) return;
      this.#pending.delete(parent);
      waiter.reject(new TlsError('TLS_HANDSHAKE', `TLS handshake failed: ${err.message}`, { cause: err }));
    });
    // Servers of a previous certificate only finish the handshakes they started.
    if (this.#servers.size > 32) this.#servers.clear();
    this.#servers.set(key, server);
    return server;
  }

  /**
   * The client side of a cluster's UpstreamTlsContext as one SecureContext (its `tls_params`, the
   * certificate it presents, the roots it trusts), made once per config and workload certificate:
   * building one parses every root, too costly per connection.
   */
  #clientContext(transport: EnvoyTransportSocket, common: Obj, validation: { sds?: string; context: Obj }) {
    const presentsWorkload = usesWorkloadCertificate(common);
    const workload = presentsWorkload || validation.sds === 'ROOTCA' ? this.#workload() : undefined;
    const key = `${workload?.serial ?? ''}|${JSON.stringify(transport.typed_config ?? {})}`;
    const cached = this.#clientContexts.get(key);
    if (cached) return cached;
    const certificates = (common['tls_certificates'] ?? []) as {
      certificate_chain?: unknown;
      private_key?: unknown;
    }[];
    const trustedCa = dataSource(validation.context['trusted_ca']);
    const context = createSecureContext({
      ...nodeTlsParameters(common['tls_params'] as Obj | undefined, 'client'),
      ...(workload && presentsWorkload
        ? { key: workload.privateKeyPem, cert: workload.certificateChainPem }
        : {}),
      ...(certificates[0]
        ? {
            cert: dataSource(certificates[0].certificate_chain),
            key: dataSource(certificates[0].private_key),
          }
        : {}),
      ...(workload && validation.sds === 'ROOTCA' ? { ca: workload.rootsPem } : {}),
      ...(trustedCa ? { ca: trustedCa } : {}),
    });
    if (this.#clientContexts.size > 64) this.#clientContexts.clear();
    this.#clientContexts.set(key, context);
    return context;
  }

  /**
   * Originates TLS to an upstream as the cluster's UpstreamTlsContext says: versions, suites and
   * curves, SNI, ALPN (`alpnOverride` is Istio's: `istio-http/1.1`, `istio-h2`, `istio`), and the
   * server's SPIFFE SAN checked against `match_subject_alt_names`. ISTIO_MUTUAL presents the workload
   * certificate.
   */
  connect(
    target: { host: string; port: number },
    transport: EnvoyTransportSocket,
    alpnOverride?: readonly string[],
  ): TLSSocket {
    const upstream = transport.typed_config ?? {};
    const common = commonOf(transport);
    const validation = validationOf(common);
    const matchers = (validation.context['match_subject_alt_names'] ?? []) as SanMatcher[];
    const sni = (upstream['sni'] as string | undefined) || undefined;
    const alpn = alpnOverride ?? ((common['alpn_protocols'] ?? []) as string[]);
    return tlsConnect({
      host: target.host,
      port: target.port,
      secureContext: this.#clientContext(transport, common, validation),
      ...(sni ? { servername: sni } : {}),
      ...(alpn.length > 0 ? { ALPNProtocols: [...alpn] } : {}),
      // Istio names the identity in the SAN; the host name is not checked for mesh traffic.
      checkServerIdentity: (_host, cert) => {
        if (matchers.length === 0) return undefined;
        const sans = peerUriSans(cert);
        return matchesSubjectAltNames(sans, matchers)
          ? undefined
          : new TlsError(
              'TLS_PEER_IDENTITY',
              `server identity ${sans.join(',') || '(none)'} is not one of the expected ${matchers.map((m) => JSON.stringify(m)).join(', ')}`,
            );
      },
    });
  }
}
