import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  Metadata,
  type ChannelCredentials,
} from '@grpc/grpc-js';
import { caServiceDefinition, type IstioCertificateResponse } from '@mesh/pki';

const CaClient = makeGenericClientConstructor(caServiceDefinition, 'IstioCertificateService');

export interface CaCallResult {
  chain?: string[];
  error?: { code: number; details: string };
}

/** Calls CreateCertificate the way Istio's agent does: CSR + requested TTL, bearer token in metadata. */
export async function requestCertificate(options: {
  address: string;
  csr: string;
  token?: string;
  ttlSeconds?: number;
  credentials?: ChannelCredentials;
  /** TLS server name to check (istiod's certificate is for istiod.istio-system.svc). */
  serverName?: string;
}): Promise<CaCallResult> {
  const channelOptions = options.serverName ? { 'grpc.ssl_target_name_override': options.serverName } : {};
  const client = new CaClient(
    options.address,
    options.credentials ?? grpcCredentials.createInsecure(),
    channelOptions,
  );
  const metadata = new Metadata();
  if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
  try {
    return await new Promise<CaCallResult>((resolve) => {
      (client as unknown as Record<string, (...args: unknown[]) => void>)['CreateCertificate']!.call(
        client,
        { csr: options.csr, validity_duration: options.ttlSeconds ?? 0 },
        metadata,
        { deadline: Date.now() + 10_000 },
        (err: { code: number; details: string } | null, response?: IstioCertificateResponse) =>
          resolve(
            err ? { error: { code: err.code, details: err.details } } : { chain: response?.cert_chain ?? [] },
          ),
      );
    });
  } finally {
    client.close();
  }
}
