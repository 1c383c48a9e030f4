import type { CertificateAuthority } from '@mesh/pki';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Istio's CA metrics (`security/pkg/server/ca/monitoring.go`), named as Istio names them so existing
 * dashboards and alerts keep working: the CSR counters, and the expiry of the CA material in force —
 * `citadel_server_root_cert_expiry_timestamp` (the first root of `root-cert.pem`) and
 * `citadel_server_cert_chain_expiry_timestamp` (the signing certificate, `ca-cert.pem`), in seconds
 * since the epoch, with the `_seconds` gauges giving the time left at the moment of the scrape.
 *
 * Istio records the chain's expiry only for a plug-in CA; here a self-signed root is also the signing
 * certificate, so both gauges carry its expiry rather than leaving the chain's at 0, which an alert on
 * "expires within 30 days" would read as expired.
 */

export type CsrOutcome = 'issued' | 'denied' | 'unauthenticated' | 'invalid';

export interface CaMetrics {
  /** Counts one CSR by how it ended. */
  csr(outcome: CsrOutcome): void;
  /** Records the expiry of the CA material istiod signs with (it loads it once, at start). */
  caLoaded(ca: CertificateAuthority): void;
}

/** A timestamp gauge and its time-left twin, computed when scraped so it never goes stale. */
function expiryGauges(registry: Registry, name: string, what: string): (notAfter: Date) => void {
  let notAfter: Date | undefined;
  const timestamp = new Gauge({
    name: `citadel_server_${name}_expiry_timestamp`,
    help: `The unix timestamp, in seconds, when Citadel ${what} will expire. A negative time indicates the cert is expired.`,
    registers: [registry],
  });
  new Gauge({
    name: `citadel_server_${name}_expiry_seconds`,
    help: `The time remaining, in seconds, before Citadel ${what} will expire. A negative time indicates the cert is expired.`,
    registers: [registry],
    collect() {
      if (notAfter) this.set((notAfter.getTime() - Date.now()) / 1000);
    },
  });
  return (next) => {
    notAfter = next;
    timestamp.set(Math.floor(next.getTime() / 1000));
  };
}

export function registerCaMetrics(registry: Registry): CaMetrics {
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const csrCount = counter('citadel_server_csr_count', 'The number of CSRs received by Citadel server.');
  const issued = counter(
    'citadel_server_success_cert_issuance_count',
    'The number of certificates issuances that have succeeded.',
  );
  const authFailures = counter(
    'citadel_server_authentication_failure_count',
    'The number of authentication failures.',
  );
  const signErrors = counter(
    'citadel_server_csr_sign_err_count',
    'The number of errors occurred when signing the CSR.',
  );
  const rootExpiry = expiryGauges(registry, 'root_cert', 'root cert');
  const chainExpiry = expiryGauges(registry, 'cert_chain', 'cert chain');
  return {
    csr: (outcome) => {
      csrCount.inc();
      if (outcome === 'issued') issued.inc();
      else if (outcome === 'unauthenticated') authFailures.inc();
      else signErrors.inc();
    },
    caLoaded: (ca) => {
      rootExpiry((ca.trustBundle.roots[0] ?? ca.root).notAfter);
      chainExpiry(ca.certificate.notAfter);
    },
  };
}
