import { Counter, type Registry } from 'prom-client';

/** Istio's CA metric names (citadel_server_*), so existing dashboards and alerts keep working. */
export function registerCaMetrics(registry: Registry) {
  const csrCount = new Counter({
    name: 'citadel_server_csr_count',
    help: 'The number of CSRs received by Citadel server.',
    registers: [registry],
  });
  const issued = new Counter({
    name: 'citadel_server_success_cert_issuance_count',
    help: 'The number of certificates issuances that have succeeded.',
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'citadel_server_authentication_failure_count',
    help: 'The number of authentication failures.',
    registers: [registry],
  });
  const signErrors = new Counter({
    name: 'citadel_server_csr_sign_error_count',
    help: 'The number of errors occurred when signing the CSR.',
    registers: [registry],
  });
  return (outcome: 'issued' | 'denied' | 'unauthenticated' | 'invalid'): void => {
    csrCount.inc();
    if (outcome === 'issued') issued.inc();
    else if (outcome === 'unauthenticated') authFailures.inc();
    else signErrors.inc();
  };
}
