import type { Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';

import type { DownstreamTls, EnvoyTransportSocket } from '@mesh/xds';

import type { WorkloadCertificate } from '../agent/index.js';
import { clientCertificateProblem } from './client-certificate-checks.js';
import type { SdsSecrets } from './sds-secrets.js';
import { TlsError } from './tls-error.js';
import { TlsOriginator, type ValidationConfig } from './tls-origination.js';
import { nodeTlsParameters } from './tls-parameters.js';
import { tlsMaterial, type SecretSources } from './trust-sources.js';

/**
 * The TLS of the data plane, as the chains and clusters from istiod describe it (Envoy's
 * DownstreamTlsContext and UpstreamTlsContext): the SDS secrets `default` and `ROOTCA` are the
 * workload certificate and trust bundle the agent holds, swapped in place when it renews; a gateway's
 * `kubernetes://` credentials are the SDS secrets istiod last sent (`SdsSecrets`). Each handshake
 * reads the current ones, so connections opened after a rotation use the new certificate without a
 * restart, and a chain whose secret is missing refuses handshakes (never plaintext). Origination is
 * TlsOriginator's; termination is here.
 */

type Obj = Record<string, unknown>;

function commonOf(socket: EnvoyTransportSocket): Obj {
  return (socket.typed_config?.['common_tls_context'] ?? {}) as Obj;
}

function validationOf(common: Obj): ValidationConfig {
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

export class WorkloadTls {
  #certificate: WorkloadCertificate | undefined;
  readonly #servers = new Map<string, TlsServer>();
  readonly #sources: SecretSources;
  readonly #originator: TlsOriginator;
  readonly #pending = new WeakMap<Socket, { resolve: (s: TLSSocket) => void; reject: (e: Error) => void }>();

  /** `sds`: istiod's secrets, for a gateway (a sidecar has none: `kubernetes://` names then fail). */
  constructor(sds?: SdsSecrets) {
    this.#sources = { workload: () => this.#workload(), ...(sds ? { sds } : {}) };
    this.#originator = new TlsOriginator(this.#sources);
  }

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
   * Terminates TLS on an accepted connection as the chain's DownstreamTlsContext says (libs/xds
   * `downstreamTlsOf` decides whether a client certificate is required); resolves once the handshake
   * is done and a client certificate, when presented or required, has been verified against the roots
   * and the context's matchers; rejects (the connection is to be closed) when the chain's certificate
   * is unavailable.
   * The handshake runs in a `tls.Server` (one per distinct chain config and certificate, never
   * listening): Node verifies client certificates only there, and HTTP/2 sessions work only on
   * sockets it made.
   */
  accept(socket: Socket, tls: DownstreamTls): Promise<TLSSocket> {
    let server: TlsServer;
    try {
      server = this.#serverFor(tls);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(socket, { resolve, reject });
      server.emit('connection', socket);
    });
  }

  #serverFor(tls: DownstreamTls): TlsServer {
    const common = commonOf(tls.socket);
    const validation = validationOf(common);
    const material = tlsMaterial(common, validation, this.#sources);
    if (!material.cert || !material.key)
      throw new TlsError('TLS_NO_CERTIFICATE', 'the filter chain names no certificate to serve');
    const required = tls.requireClientCertificate;
    // Without roots Node would verify clients against its bundled public CAs: refuse instead.
    if (required && material.ca === undefined)
      throw new TlsError(
        'TLS_SERVER_NOT_TRUSTED',
        'a client certificate is required but no roots are configured',
      );
    const key = `${material.version}|${JSON.stringify(tls.socket.typed_config ?? {})}`;
    let server = this.#servers.get(key);
    if (server) return server;
    const offered = (common['alpn_protocols'] ?? []) as string[];
    server = createTlsServer({
      key: material.key,
      cert: material.cert,
      ...(material.ca ? { ca: material.ca } : {}),
      ...(material.crl ? { crl: material.crl } : {}),
      requestCert: material.ca !== undefined,
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
      const problem = clientCertificateProblem(tlsSocket, validation.context);
      if (problem) {
        tlsSocket.destroy();
        waiter.reject(new TlsError('TLS_PEER_IDENTITY', problem));
        return;
      }
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
   * Originates TLS to an upstream as the cluster's UpstreamTlsContext says (see TlsOriginator);
   * `alpnOverride` is Istio's for mesh mTLS.
   */
  connect(
    target: { host: string; port: number },
    transport: EnvoyTransportSocket,
    alpnOverride?: readonly string[],
  ): TLSSocket {
    return this.#originator.connect(target, transport, validationOf(commonOf(transport)), alpnOverride);
  }
}
