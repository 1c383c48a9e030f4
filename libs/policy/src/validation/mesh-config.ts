import { MeshConfig, resolveMeshConfig, type ResolvedMeshConfig } from '../api/mesh/mesh-config.js';
import { FindingCollector } from './collector.js';
import type { Finding } from './finding.js';
import { checkMeshConfigTls } from './mesh-config-tls.js';
import { checkMeshConfigRules } from './rules/mesh-config.js';
import { checkSchema } from './schema-check.js';
import { fieldLocator, withoutNullFields, type ValidateOptions } from './validate-resource.js';

export interface MeshConfigValidation {
  /** The MeshConfig with Istio's defaults applied; only when it has no errors. */
  meshConfig?: ResolvedMeshConfig;
  errors: Finding[];
  warnings: Finding[];
}

/**
 * Validates a MeshConfig object (the parsed `mesh` of the `istio` ConfigMap, or a `--mesh-config`
 * file): its shape against the proto's fields (an unknown field is an error, named by its path), then
 * Istio's rules. Findings are about `MeshConfig` and carry `file:line` when `options` say where the
 * object came from. An empty document is all defaults.
 */
export function validateMeshConfig(value: unknown, options: ValidateOptions = {}): MeshConfigValidation {
  const c = new FindingCollector({ kind: 'MeshConfig', namespace: '', name: '' }, fieldLocator(options));
  // `field:` with no value is null in YAML; Istio reads it as unset.
  const config = withoutNullFields(value ?? {});
  if (checkSchema(MeshConfig, config, c, '')) {
    checkMeshConfigRules(config as MeshConfig, c);
    checkMeshConfigTls(config as MeshConfig, c);
  }
  return {
    ...(c.errors.length === 0 ? { meshConfig: resolveMeshConfig(config as MeshConfig) } : {}),
    errors: c.errors,
    warnings: c.warnings,
  };
}
