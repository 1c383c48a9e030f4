import type { CertificateAuthority } from '@mesh/pki';

/** istiod's own serving certificate lives this long and is renewed at half its life. */
export const SERVING_CERT_TTL_SECONDS = 30 * 24 * 3600;

/**
 * The names istiod is reached by: its Service (`istiod[-<rev>].<ns>.svc`, the webhook
 * configurations' `clientConfig.service` and `CA_ADDR`), the short forms, and loopback — an istiod
 * outside the cluster serves the webhooks at `https://127.0.0.1:PORT` (Istio's
 * `istiodRemote.injectionURL`).
 */
export function servingNames(istioNamespace: string, revision: string): string[] {
  const services = revision === '' || revision === 'default' ? ['istiod'] : ['istiod', `istiod-${revision}`];
  return [
    ...services.flatMap((s) => [
      `${s}.${istioNamespace}.svc`,
      `${s}.${istioNamespace}.svc.cluster.local`,
      s,
      `${s}.${istioNamespace}`,
    ]),
    'localhost',
  ];
}

export function servingCertificate(ca: CertificateAuthority, istioNamespace: string, revision: string) {
  const issued = ca.issueServerCertificate({
    dnsNames: servingNames(istioNamespace, revision),
    ipAddresses: ['127.0.0.1'],
    ttlSeconds: SERVING_CERT_TTL_SECONDS,
  });
  return {
    certificateChainPem: issued.chainPem.slice(0, -1).join(''),
    privateKeyPem: issued.privateKeyPem,
    rootsPem: ca.trustBundle.toPem(),
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
}
