import { list, record, specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/**
 * Istio's `serviceentry.Analyzer`: a ServiceEntry port serving TCP (or no declared protocol) needs
 * virtual IP addresses (IST0134): without one, its traffic is matched by port alone, so two such
 * entries on one port collide. Not reported when the entry has addresses (in its spec, or allocated
 * in its status) or when the mesh's proxies allocate them (`ISTIO_META_DNS_CAPTURE` and
 * `ISTIO_META_DNS_AUTO_ALLOCATE` in `defaultConfig.proxyMetadata`).
 */
export function analyzeServiceEntryAddresses(ctx: AnalysisContext): AnalysisMessage[] {
  const metadata = ctx.meshConfig.defaultConfig.proxyMetadata ?? {};
  if (metadata['ISTIO_META_DNS_CAPTURE'] === 'true' && metadata['ISTIO_META_DNS_AUTO_ALLOCATE'] === 'true')
    return [];
  const messages: AnalysisMessage[] = [];
  for (const entry of ctx.ofKind('ServiceEntry')) {
    const spec = specOf(entry, 'ServiceEntry');
    if ((spec.addresses ?? []).length > 0) continue;
    if (list(record(entry.object['status'])['addresses']).length > 0) continue;
    (spec.ports ?? []).forEach((port, index) => {
      const protocol = port.protocol ?? '';
      if (protocol !== '' && protocol.toUpperCase() !== 'TCP') return;
      messages.push(
        newMessage(
          'ServiceEntryAddressesRequired',
          entry,
          'ServiceEntry addresses are required for this protocol.',
          `spec.ports[${index}].name`,
        ),
      );
    });
  }
  return messages;
}
