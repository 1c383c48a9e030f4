import {
  configKey,
  kubernetesKindOf,
  limitFindings,
  loadYaml,
  validateLoadedResource,
  type Finding,
  type StoredConfig,
} from '@mesh/policy';

/** One config file as last read: what it defines, and what it holds that was refused. */
export interface ParsedFile {
  mtimeMs: number;
  size: number;
  configs: Map<string, StoredConfig>;
  /** Errors: YAML syntax errors and invalid resources, each skipped. */
  invalid: Finding[];
  /** Accepted with a warning (e.g. EnvoyFilter is stored but not applied). */
  warnings: Finding[];
}

/**
 * Parses and validates one file. Every document stands alone: an invalid one is recorded and
 * skipped, the others are kept. Namespaced objects without a namespace land in `default`, as
 * `kubectl apply` puts them; kinds the mesh does not know are kept untouched.
 */
export function parseConfigFile(
  text: string,
  file: string,
  stat: { mtimeMs: number; size: number },
  nextVersion: () => string,
): ParsedFile {
  const loaded = loadYaml(text, file);
  const invalid = loaded.findings.filter((f) => f.level === 'Error');
  const warnings = loaded.findings.filter((f) => f.level === 'Warning');
  const configs = new Map<string, StoredConfig>();
  for (const resource of loaded.resources) {
    const result = validateLoadedResource(resource);
    warnings.push(...result.warnings);
    if (result.errors.length > 0) {
      invalid.push(...result.errors);
      continue;
    }
    const clusterScoped = kubernetesKindOf(resource.apiVersion, resource.kind)?.namespaced === false;
    const namespace = resource.namespace || (clusterScoped ? '' : 'default');
    configs.set(configKey(resource.kind, namespace, resource.name), {
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      namespace,
      name: resource.name,
      object: resource.object,
      resourceVersion: nextVersion(),
      source: resource.source,
    });
  }
  return { ...stat, configs, invalid: limitFindings(invalid, file), warnings: limitFindings(warnings, file) };
}
