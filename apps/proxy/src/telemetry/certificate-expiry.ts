import { parseCertificate, splitCertificatePem, type CertificateInfo } from '@mesh/pki';
import { Gauge, type Registry } from 'prom-client';

/**
 * The expiry of the certificates the proxy serves with — SDS `default` (the workload chain) and
 * `ROOTCA` (the trust bundle) — as Istio's agent and Envoy report it on `/stats/prometheus`:
 *
 * - `istio_agent_cert_expiry_seconds{resource_name="default"}`: the time left, in seconds, before the
 *   workload certificate expires (negative once expired), as Istio's pilot-agent exports it;
 * - `envoy_server_days_until_first_cert_expiring`: whole days until the first certificate the proxy
 *   manages expires, roots included (0 once one has), as Envoy's server statistics say.
 *
 * Both are computed when scraped from the certificate in force, so a renewal or a root rotation shows
 * at the next scrape, and the time left never goes stale between renewals.
 */

/** The PEM the agent hands the data plane: the chain (leaf first) and every trusted root. */
export interface ServedCertificatesPem {
  certificateChainPem: string;
  rootsPem: string;
}

export interface ServedCertificates {
  /** Leaf first, then intermediates. */
  chain: CertificateInfo[];
  roots: CertificateInfo[];
}

const parsed = new WeakMap<ServedCertificatesPem, ServedCertificates>();

/** The served certificates, parsed once per issuance (the agent hands out a new object on renewal). */
export function servedCertificates(pem: ServedCertificatesPem): ServedCertificates {
  let certificates = parsed.get(pem);
  if (!certificates) {
    const parse = (text: string, what: string) =>
      splitCertificatePem(text, what).map((block, i) => parseCertificate(block, `${what} #${i + 1}`));
    certificates = {
      chain: parse(pem.certificateChainPem, 'workload certificate chain'),
      roots: parse(pem.rootsPem, 'trust bundle'),
    };
    parsed.set(pem, certificates);
  }
  return certificates;
}

const DAY_MS = 86_400_000;

/** Envoy's days until expiration: whole days left, 0 once expired. */
export function daysUntilExpiration(notAfter: Date, now: Date): number {
  return Math.max(0, Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS));
}

export class CertificateExpiryStats {
  constructor(
    registry: Registry,
    current: () => ServedCertificatesPem | undefined,
    now: () => Date = () => new Date(),
  ) {
    const served = () => {
      const pem = current();
      return pem && servedCertificates(pem);
    };
    new Gauge<'resource_name'>({
      name: 'istio_agent_cert_expiry_seconds',
      help: 'The time remaining, in seconds, before the certificate chain will expire. A negative value indicates the cert is expired.',
      labelNames: ['resource_name'],
      registers: [registry],
      collect() {
        const leaf = served()?.chain[0];
        if (leaf) this.set({ resource_name: 'default' }, (leaf.notAfter.getTime() - now().getTime()) / 1000);
      },
    });
    new Gauge({
      name: 'envoy_server_days_until_first_cert_expiring',
      help: 'Number of days until the next certificate being managed will expire',
      registers: [registry],
      collect() {
        const certificates = served();
        if (!certificates) return;
        const at = now();
        this.set(
          Math.min(
            ...[...certificates.chain, ...certificates.roots].map((c) => daysUntilExpiration(c.notAfter, at)),
          ),
        );
      },
    });
  }
}
