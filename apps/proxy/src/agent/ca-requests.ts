import {
  credentials as grpcCredentials,
  status as GrpcStatus,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import { CaClient } from '@mesh/pki';

import { AgentError } from './agent-error.js';

export interface CaRequestsOptions {
  caAddress: string;
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
  token: () => Promise<string> | string;
  renewalAddress?: string;
  istioNamespace?: string;
  caServerName?: string;
  ttlSeconds?: number;
  requestTimeoutMs?: number;
}

/** The key and chain the agent holds now, to authenticate a renewal with. */
export interface ClientCertificate {
  certificateChainPem: string;
  privateKeyPem: string;
  rootsPem: string;
}

/**
 * The two ways the agent asks istiod's CA to sign a CSR: with the bearer token (first issuance, and
 * fallback), or over mTLS with the current certificate (renewal, as istiod's secure port accepts a
 * valid workload certificate). Failures become `AgentError`s naming the address and the credential.
 */
export class CaRequests {
  readonly #tokenClient: CaClient;

  constructor(private readonly options: CaRequestsOptions) {
    this.#tokenClient = new CaClient({
      address: options.caAddress,
      credentials: options.credentials,
      channelOptions: options.channelOptions,
    });
  }

  /** Reads the token anew each time: projected service-account tokens are rotated on disk. */
  async withToken(csr: string): Promise<string[]> {
    let token: string;
    try {
      token = await this.options.token();
    } catch (err) {
      throw new AgentError(
        'AGENT_TOKEN_UNAVAILABLE',
        `cannot get the bearer token: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    return this.#call(this.#tokenClient, this.options.caAddress, 'token', csr, token);
  }

  /**
   * Over mTLS on a channel of its own (the credential changes with every certificate): the current
   * roots verify istiod's serving certificate, the current key and chain prove who we are.
   */
  async withCertificate(csr: string, current: ClientCertificate): Promise<string[]> {
    const address = this.options.renewalAddress ?? this.options.caAddress;
    const serverName =
      this.options.caServerName ?? `istiod.${this.options.istioNamespace ?? 'istio-system'}.svc`;
    const client = new CaClient({
      address,
      credentials: grpcCredentials.createSsl(
        Buffer.from(current.rootsPem),
        Buffer.from(current.privateKeyPem),
        Buffer.from(current.certificateChainPem),
      ),
      channelOptions: { ...this.options.channelOptions, 'grpc.ssl_target_name_override': serverName },
    });
    try {
      return await this.#call(client, address, 'certificate', csr);
    } finally {
      client.close();
    }
  }

  close(): void {
    this.#tokenClient.close();
  }

  async #call(
    client: CaClient,
    address: string,
    via: 'token' | 'certificate',
    csr: string,
    token?: string,
  ): Promise<string[]> {
    try {
      return await client.createCertificate(
        { csr, validity_duration: this.options.ttlSeconds ?? 86_400 },
        { token, deadlineMs: this.options.requestTimeoutMs ?? 10_000 },
      );
    } catch (err) {
      const { code, details } = err as ServiceError;
      throw new AgentError(
        'AGENT_CA_REQUEST_FAILED',
        `CreateCertificate at ${address} (authenticated by ${via}) failed: ${GrpcStatus[code] ?? code}: ${details ?? (err as Error).message}`,
        { cause: err },
      );
    }
  }
}
