import {
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  formatSpiffeId,
  PkiError,
  type CertificateAuthority,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from '@mesh/pki';
import type { Logger } from 'pino';

import { authenticateCaller, AuthenticationError, type Authenticator } from '../security/authenticator.js';

export interface CertificateServiceDeps {
  /** The current CA (a function, so a rotated or reloaded CA is picked up without re-registering). */
  ca: () => CertificateAuthority;
  authenticators: readonly Authenticator[];
  /** TTL when the request names none (Istio: 24h). Requests above the CA's maximum are capped by the CA. */
  defaultTtlSeconds: number;
  logger: Logger;
  onIssued?: (outcome: 'issued' | 'denied' | 'unauthenticated' | 'invalid') => void;
}

type GrpcError = { code: GrpcStatus; details: string };

/**
 * The largest CSR the CA reads. Istio sets no explicit cap (only gRPC's 4 MB message limit), but a
 * real CSR is under 2 KiB even with an RSA-4096 key and many SANs: 64 KiB leaves room for any honest
 * request while an oversized one is refused before it is parsed on the event loop that serves xDS.
 */
export const MAX_CSR_BYTES = 64 * 1024;

/**
 * `istio.v1.auth.IstioCertificateService/CreateCertificate`: refuses an oversized CSR before any work,
 * authenticates the caller, then signs its CSR only if the CSR asks for exactly the identity the caller
 * proved.
 */
export function certificateServiceHandlers(deps: CertificateServiceDeps): UntypedServiceImplementation {
  return {
    CreateCertificate: (
      call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>,
      callback: sendUnaryData<IstioCertificateResponse>,
    ) => {
      createCertificate(deps, call).then(
        (response) => callback(null, response),
        (err: GrpcError) => callback(err),
      );
    },
  };
}

async function createCertificate(
  deps: CertificateServiceDeps,
  call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>,
): Promise<IstioCertificateResponse> {
  const peer = call.getPeer();
  const csrBytes = Buffer.byteLength(call.request.csr ?? '');
  if (csrBytes > MAX_CSR_BYTES) {
    deps.onIssued?.('invalid');
    deps.logger.warn({ peer, csrBytes }, 'certificate request refused: CSR too large');
    throw fail(
      GrpcStatus.INVALID_ARGUMENT,
      `invalid certificate request: the CSR is ${csrBytes} bytes, above the limit of ${MAX_CSR_BYTES} bytes (64 KiB)`,
    );
  }
  let caller;
  try {
    caller = await authenticateCaller(deps.authenticators, {
      metadata: call.metadata,
      auth: call.getAuthContext(),
    });
  } catch (err) {
    deps.onIssued?.('unauthenticated');
    deps.logger.warn(
      { peer, reason: (err as Error).message },
      'certificate request refused: unauthenticated',
    );
    throw fail(
      GrpcStatus.UNAUTHENTICATED,
      err instanceof AuthenticationError ? err.message : 'authentication failed',
    );
  }
  const identity = formatSpiffeId(caller.identity);
  const requested = Number(call.request.validity_duration ?? 0);
  const ttlSeconds = Number.isFinite(requested) && requested > 0 ? requested : deps.defaultTtlSeconds;
  try {
    const issued = deps
      .ca()
      .issueWorkloadCertificate({ csrPem: call.request.csr ?? '', identity, ttlSeconds });
    deps.onIssued?.('issued');
    // Per-certificate success is debug: thousands of workloads renew every 12 hours.
    deps.logger.debug(
      { peer, identity, via: caller.authenticator, ttlSeconds },
      'issued workload certificate',
    );
    return { cert_chain: issued.chainPem };
  } catch (err) {
    if (err instanceof PkiError && err.code === 'PKI_IDENTITY_MISMATCH') {
      deps.onIssued?.('denied');
      deps.logger.warn(
        { peer, identity, via: caller.authenticator, reason: err.message },
        'certificate request refused: identity mismatch',
      );
      throw fail(
        GrpcStatus.PERMISSION_DENIED,
        `caller authenticated as ${identity} (via ${caller.authenticator}) may not request this certificate: ${err.message}`,
      );
    }
    if (err instanceof PkiError && (err.code === 'PKI_EXPIRED' || err.code === 'PKI_NOT_YET_VALID')) {
      // The CA's own certificate is out of its validity window: our problem, not the caller's.
      deps.logger.error({ peer, identity, err: err.message }, 'the CA certificate is not valid now');
      throw fail(GrpcStatus.UNAVAILABLE, `the CA cannot sign now: ${err.message}`);
    }
    if (err instanceof PkiError) {
      deps.onIssued?.('invalid');
      throw fail(GrpcStatus.INVALID_ARGUMENT, `invalid certificate request: ${err.message}`);
    }
    deps.logger.error({ peer, identity, err: (err as Error).message }, 'certificate signing failed');
    throw fail(GrpcStatus.INTERNAL, `certificate signing failed: ${(err as Error).message}`);
  }
}

function fail(code: GrpcStatus, details: string): GrpcError {
  return Object.assign(new Error(details), { code, details });
}
