import type { ServerTLSSettings } from '../api/networking/server-tls-settings.js';
import { specOf, type AnalysisContext } from './analysis-context.js';
import { goList, newMessage, type AnalysisMessage } from './messages.js';

/**
 * Istio's `gateway.CertificateAnalyzer`: two Gateways on the same gateway pods (the other's selector
 * includes this one's) serving the same certificate (IST0138). Browsers reuse an HTTP/2 connection for
 * every host the certificate covers, and the second gateway's hosts then get 404 from the first's
 * routes.
 */
export function analyzeGatewayCertificates(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  const gateways = ctx.ofKind('Gateway');
  for (const current of gateways) {
    const spec = specOf(current, 'Gateway');
    const selector = spec.selector ?? {};
    for (const other of gateways) {
      if (other === current) continue;
      const otherSpec = specOf(other, 'Gateway');
      const otherSelector = otherSpec.selector ?? {};
      if (!Object.entries(selector).every(([key, value]) => otherSelector[key] === value)) continue;
      const shared = (spec.servers ?? []).some((server) =>
        (otherSpec.servers ?? []).some(
          (o) => server.tls !== undefined && o.tls !== undefined && sameCertificate(server.tls, o.tls),
        ),
      );
      if (!shared) continue;
      messages.push(
        newMessage(
          'GatewayDuplicateCertificate',
          current,
          `Duplicate certificate in multiple gateways ${goList([
            `${current.namespace}/${current.name}`,
            `${other.namespace}/${other.name}`,
          ])} may cause 404s if clients re-use HTTP2 connections.`,
          'metadata.name',
        ),
      );
    }
  }
  return messages;
}

/** The same Kubernetes secret, or the same certificate and key files. */
function sameCertificate(a: ServerTLSSettings, b: ServerTLSSettings): boolean {
  if (a.credentialName && b.credentialName) return a.credentialName === b.credentialName;
  if (a.credentialName || b.credentialName) return false;
  return (
    !!a.serverCertificate &&
    a.serverCertificate === b.serverCertificate &&
    !!a.privateKey &&
    a.privateKey === b.privateKey
  );
}
