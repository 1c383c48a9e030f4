import type { ChannelCredentials, ServiceError } from '@grpc/grpc-js';
import { CaClient } from '@mesh/pki';

export interface CaCallResult {
  chain?: string[];
  error?: { code: number; details: string };
}

/** One CreateCertificate call with libs/pki's client, the outcome as data (chain or gRPC error). */
export async function requestCertificate(options: {
  address: string;
  csr: string;
  token?: string;
  ttlSeconds?: number;
  credentials?: ChannelCredentials;
  /** TLS server name to check (istiod's certificate is for istiod.istio-system.svc). */
  serverName?: string;
}): Promise<CaCallResult> {
  const client = new CaClient({
    address: options.address,
    credentials: options.credentials,
    channelOptions: options.serverName ? { 'grpc.ssl_target_name_override': options.serverName } : {},
  });
  try {
    return {
      chain: await client.createCertificate(
        { csr: options.csr, validity_duration: options.ttlSeconds ?? 0 },
        { token: options.token },
      ),
    };
  } catch (err) {
    const { code, details } = err as ServiceError;
    return { error: { code, details } };
  } finally {
    client.close();
  }
}
