import type { TelemetrySpec } from '../../api/telemetry/telemetry.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';
import { checkPolicyTargets } from './common.js';
import { checkDuration } from './primitives.js';

/** Telemetry rules (Istio's `ValidateTelemetry`): providers, custom tags and metric overrides. */

function checkProviders(
  providers: readonly { name: string }[] | undefined,
  path: string,
  c: FindingCollector,
): void {
  providers?.forEach((provider, i) => {
    if (provider.name === '')
      c.error('TELEMETRY_INVALID', field(item(path, i), 'name'), 'providers.name may not be empty');
  });
}

export function checkTelemetry(spec: TelemetrySpec, c: FindingCollector): void {
  checkPolicyTargets(spec, c);
  const tracing = spec.tracing ?? [];
  if (tracing.length > 1)
    c.warning('TELEMETRY_INVALID', 'spec.tracing', 'multiple tracing is not currently supported');
  tracing.forEach((entry, i) => {
    const at = item('spec.tracing', i);
    if ((entry.providers?.length ?? 0) > 1)
      c.warning('TELEMETRY_INVALID', field(at, 'providers'), 'multiple providers is not currently supported');
    checkProviders(entry.providers, field(at, 'providers'), c);
    for (const name of Object.keys(entry.customTags ?? {})) {
      if (name === '') c.error('TELEMETRY_INVALID', field(at, 'customTags'), 'tag name may not be empty');
    }
  });
  spec.metrics?.forEach((metrics, i) => {
    const at = item('spec.metrics', i);
    checkProviders(metrics.providers, field(at, 'providers'), c);
    if (metrics.reportingInterval !== undefined)
      c.check('DURATION_INVALID', field(at, 'reportingInterval'), checkDuration(metrics.reportingInterval));
    metrics.overrides?.forEach((override, o) => {
      const where = item(field(at, 'overrides'), o);
      for (const [tag, tagOverride] of Object.entries(override.tagOverrides ?? {})) {
        const tagPath = field(field(where, 'tagOverrides'), tag);
        if (tag === '') c.warning('TELEMETRY_INVALID', tagPath, 'tagOverrides.name may not be empty');
        const value = tagOverride.value ?? '';
        const operation = tagOverride.operation ?? 'UPSERT';
        if (operation === 'UPSERT' && value === '')
          c.error('TELEMETRY_INVALID', tagPath, 'tagOverrides.value must be set when operation is UPSERT');
        if (operation === 'REMOVE' && value !== '')
          c.error(
            'TELEMETRY_INVALID',
            field(tagPath, 'value'),
            'tagOverrides.value may only be set when operation is UPSERT',
          );
      }
    });
  });
  spec.accessLogging?.forEach((logging, i) =>
    checkProviders(logging.providers, field(item('spec.accessLogging', i), 'providers'), c),
  );
}
