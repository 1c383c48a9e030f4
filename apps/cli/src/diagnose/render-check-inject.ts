import type { CheckInjectResult } from './check-inject-result.js';
import { renderObject, table, type OutputFormat } from './render-output.js';

/**
 * `check-inject`'s table: the injection webhooks found, then one row per pod (istioctl's ✔/✘ and
 * reason, with the rule name tests and scripts match on), then the warnings.
 */
export function renderCheckInject(result: CheckInjectResult, format: OutputFormat): string {
  const object = renderObject(result, format);
  if (object !== undefined) return object;
  const hooks =
    result.webhooks.length === 0
      ? ['ERROR: no Istio injection hooks present.']
      : result.webhooks.map(
          (w) => `Webhook ${w.name} (revision ${w.revision}): ${w.webhooks.join(', ') || 'no entries'}`,
        );
  const rows = result.pods.map((p) => [
    p.pod,
    result.namespace,
    p.hasSidecar === undefined ? '-' : p.hasSidecar ? 'yes' : 'no',
    p.inject ? '✔' : '✘',
    p.rule,
    p.reason,
  ]);
  return [
    ...hooks,
    '',
    table(['POD', 'NAMESPACE', 'SIDECAR', 'INJECTED', 'RULE', 'REASON'], rows),
    ...(result.warnings.length > 0 ? ['', ...result.warnings.map((w) => `WARNING: ${w}`)] : []),
  ].join('\n');
}
