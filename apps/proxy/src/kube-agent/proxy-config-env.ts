import { parseDuration, validateMeshConfig, type ProxyConfig } from '@mesh/policy';
import { parse } from 'yaml';

import { UsageError } from '../options.js';

/**
 * PROXY_CONFIG, the pod's ProxyConfig (the mesh's `defaultConfig` merged with the `proxy.istio.io/config`
 * annotation), in YAML or JSON as pilot-agent takes it, validated field by field. mesh-proxy applies a few
 * of its fields; the rest are returned by name so the proxy can say once that it does not apply them.
 */

/** The fields mesh-proxy applies (or the injector already did, before the pod existed). */
const APPLIED_FIELDS = new Set([
  'discoveryAddress',
  'controlPlaneAuthPolicy',
  'proxyAdminPort',
  'statusPort',
  'terminationDrainDuration',
  'holdApplicationUntilProxyStarts',
]);

export interface ProxyConfigEnv {
  config: ProxyConfig;
  /** Set fields mesh-proxy does not apply, in the order given. */
  unapplied: string[];
}

export function parseProxyConfigEnv(text: string | undefined): ProxyConfigEnv {
  if (text === undefined || text.trim() === '') return { config: {}, unapplied: [] };
  let parsed: unknown;
  try {
    // YAML 1.2 reads JSON too, so one parser serves both of the forms pilot-agent accepts.
    parsed = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new UsageError(`PROXY_CONFIG: not YAML or JSON of a ProxyConfig: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError('PROXY_CONFIG: (root): must be a mapping of ProxyConfig fields');
  const { errors } = validateMeshConfig({ defaultConfig: parsed });
  if (errors.length > 0)
    throw new UsageError(
      `PROXY_CONFIG: ${errors.map((e) => `${e.path.replace(/^defaultConfig\.?/, '') || '(root)'}: ${e.message}`).join('; ')}`,
    );
  return {
    config: parsed as ProxyConfig,
    unapplied: Object.keys(parsed).filter((field) => !APPLIED_FIELDS.has(field)),
  };
}

/** `terminationDrainDuration` as mesh-proxy's `--drain-duration` (validated above, so it parses). */
export function drainDurationFlag(config: ProxyConfig): string[] {
  const text = config.terminationDrainDuration;
  if (text === undefined) return [];
  const nanos = parseDuration(text) ?? 0n;
  return ['--drain-duration', `${Number(nanos / 1_000_000n)}ms`];
}
