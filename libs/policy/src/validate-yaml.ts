import { loadYaml, type LoadedResource } from './loader/load-yaml.js';
import type { ValidationChecks } from './validation/envoy-patch-value.js';
import type { Finding } from './validation/finding.js';
import { validateLoadedResource } from './validation/validate-resource.js';

export interface YamlValidation {
  /** Every resource that loaded, valid or not. */
  resources: LoadedResource[];
  /** YAML syntax errors and validation errors, in file order. */
  errors: Finding[];
  warnings: Finding[];
}

/**
 * Loads a multi-document YAML file and validates every resource in it, returning every resource
 * loaded (`meshctl local apply` refuses kinds the mesh does not serve). Pure; the caller reads the
 * file. How istiod takes a config file in, and what `meshctl validate` reports, is
 * `parseConfigFile` (loader/config-file.ts).
 */
export function validateYaml(text: string, fileName: string, checks: ValidationChecks = {}): YamlValidation {
  const { resources, findings } = loadYaml(text, fileName);
  const result: YamlValidation = { resources, errors: [...findings], warnings: [] };
  for (const resource of resources) {
    const { errors, warnings } = validateLoadedResource(resource, checks);
    result.errors.push(...errors);
    result.warnings.push(...warnings);
  }
  const byLine = (a: Finding, b: Finding) => (a.source?.line ?? 0) - (b.source?.line ?? 0);
  result.errors.sort(byLine);
  result.warnings.sort(byLine);
  return result;
}
