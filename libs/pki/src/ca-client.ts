import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  Metadata,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';

import {
  caServiceDefinition,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from './ca-protocol.js';

const GenericCaClient = makeGenericClientConstructor(caServiceDefinition, 'IstioCertificateService');

export interface CaClientOptions {
  /** `host:port` of istiod (15010 plaintext or 15012 TLS). */
  address: string;
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

/**
 * A client of Istio's certificate service, as the proxy agent uses it: one call per CSR, the bearer
 * token (join token or Kubernetes service-account token) in the `authorization` header.
 */
export class CaClient {
  private readonly client: Client;

  constructor(options: CaClientOptions) {
    this.client = new GenericCaClient(
      options.address,
      options.credentials ?? grpcCredentials.createInsecure(),
      options.channelOptions ?? {},
    );
  }

  /** Resolves with the chain (leaf first, root last); rejects with the gRPC `ServiceError`. */
  createCertificate(
    request: IstioCertificateRequest,
    options: { token?: string; deadlineMs?: number } = {},
  ): Promise<string[]> {
    const metadata = new Metadata();
    if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
    const method = (this.client as unknown as Record<string, (...args: unknown[]) => void>)[
      'CreateCertificate'
    ] as (...args: unknown[]) => void;
    return new Promise((resolve, reject) => {
      method.call(
        this.client,
        request,
        metadata,
        { deadline: Date.now() + (options.deadlineMs ?? 10_000) },
        (err: ServiceError | null, response?: IstioCertificateResponse) =>
          err ? reject(err) : resolve(response?.cert_chain ?? []),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
