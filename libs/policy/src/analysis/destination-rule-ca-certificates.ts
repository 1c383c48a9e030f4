import type { ClientTLSSettings } from '../api/networking/traffic-policy.js';
import { specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/**
 * Istio's `destinationrule.CaCertificateAnalyzer`: TLS origination (SIMPLE or MUTUAL) with nothing
 * to verify the server with (IST0128 for the whole host, IST0129 for a port). A DestinationRule that
 * takes its CA from `credentialName`, or says `insecureSkipVerify`, made its choice and is not flagged.
 */
export function analyzeCaCertificates(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  for (const dr of ctx.ofKind('DestinationRule')) {
    const spec = specOf(dr, 'DestinationRule');
    const host = spec.host ?? '';
    const name = `${dr.namespace}/${dr.name}`;
    const tls = spec.trafficPolicy?.tls;
    if (unverified(tls))
      messages.push(
        newMessage(
          'NoServerCertificateVerificationDestinationLevel',
          dr,
          `DestinationRule ${name} in namespace ${dr.namespace} has TLS mode set to ${tls?.mode} but no ` +
            `caCertificates are set to validate server identity for host: ${host}`,
          'spec.trafficPolicy.tls.mode',
        ),
      );
    (spec.trafficPolicy?.portLevelSettings ?? []).forEach((settings, index) => {
      if (!unverified(settings.tls)) return;
      // Istio prints the port selector in protobuf text form.
      const port = settings.port?.number === undefined ? '' : `number:${settings.port.number}`;
      messages.push(
        newMessage(
          'NoServerCertificateVerificationPortLevel',
          dr,
          `DestinationRule ${name} in namespace ${dr.namespace} has TLS mode set to ${settings.tls?.mode} but ` +
            `no caCertificates are set to validate server identity for host: ${host} at port ${port}`,
          `spec.trafficPolicy.portLevelSettings[${index}].tls.mode`,
        ),
      );
    });
  }
  return messages;
}

function unverified(tls: ClientTLSSettings | undefined): boolean {
  if (tls?.mode !== 'SIMPLE' && tls?.mode !== 'MUTUAL') return false;
  return !tls.caCertificates && !tls.credentialName && tls.insecureSkipVerify !== true;
}
