import { parseProtocol } from '../validation/rules/protocols.js';
import { labelsOf, list, record, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/**
 * Istio's `service.PortNameAnalyzer`: a Service port whose protocol Istio cannot tell from its
 * `appProtocol` or name prefix (`http-web`, `grpc`, ...) gets protocol sniffing (IST0118); on an
 * ExternalName Service such a port (or one named `tcp`) cannot be forwarded reliably (IST0150).
 * Control-plane Services (labelled `istio` or `release: istio`) are skipped.
 */
export function analyzeServicePortNames(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  for (const service of ctx.ofKind('Service')) {
    const labels = labelsOf(service);
    if ('istio' in labels || labels['release'] === 'istio') continue;
    const spec = record(service.object['spec']);
    const externalName = spec['type'] === 'ExternalName';
    list(spec['ports']).forEach((value, index) => {
      const port = record(value);
      const name = typeof port['name'] === 'string' ? port['name'] : '';
      const number = typeof port['port'] === 'number' ? port['port'] : 0;
      const appProtocol = typeof port['appProtocol'] === 'string' ? port['appProtocol'] : undefined;
      const detected = portProtocolKnown(number, name, port['protocol'], appProtocol);
      if (detected && !(externalName && name === 'tcp')) return;
      const at = `spec.ports[${index}].port`;
      if (externalName) {
        messages.push(
          newMessage(
            'ExternalNameServiceTypeInvalidPortName',
            service,
            'Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched ' +
              'traffic for ports serving TCP protocol from being forwarded correctly',
            at,
          ),
        );
        return;
      }
      const target = port['targetPort'];
      const targetPort = typeof target === 'string' || typeof target === 'number' ? String(target) : '0';
      messages.push(
        newMessage(
          'PortNameIsNotUnderNamingConvention',
          service,
          `Port name ${name} (port: ${number}, targetPort: ${targetPort}) doesn't follow the naming convention of Istio port.`,
          at,
        ),
      );
    });
  }
  return messages;
}

/** Ports Istio treats as TCP without a name: SMTP, DNS, MySQL, MongoDB (sniffing would break them). */
const WELL_KNOWN_PORTS = new Set([25, 53, 3306, 27017]);

/** Kubernetes' standard application protocols (only valid as `appProtocol`). */
const KUBERNETES_APP_PROTOCOLS = new Set(['kubernetes.io/h2c', 'kubernetes.io/ws', 'kubernetes.io/wss']);

/** Istio's `kube.ConvertProtocol` yields a protocol (not "unsupported") for this port. */
function portProtocolKnown(
  port: number,
  name: string,
  protocol: unknown,
  appProtocol: string | undefined,
): boolean {
  if (protocol === 'UDP') return true;
  const label = appProtocol ?? name;
  if (appProtocol !== undefined && KUBERNETES_APP_PROTOCOLS.has(appProtocol)) return true;
  if (label.toLowerCase().startsWith('grpc-web')) return true;
  const dash = label.indexOf('-');
  if (parseProtocol(dash < 0 ? label : label.slice(0, dash)) !== undefined) return true;
  return WELL_KNOWN_PORTS.has(port);
}
