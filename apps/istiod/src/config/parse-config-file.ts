import {
  configKey,
  kubernetesKindOf,
  limitFindings,
  loadYaml,
  validateLoadedResource,
  type Finding,
  type LoadedResource,
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
  /** Resources whose document is there but invalid, by key, with the first error of each. */
  rejected: Map<string, Finding>;
  /**
   * The first error that hides which resources the file defines (a YAML syntax error, a document
   * that is not an object or has no name or an unknown Istio kind, a file too large to read): the file
   * may still define resources the parse could not see. Undefined when every document was identified.
   */
  hiddenBy?: Finding;
}

/** A file refused before parsing (too large): it defines nothing new and hides what it defined. */
export function unreadFile(stat: { mtimeMs: number; size: number }, finding: Finding): ParsedFile {
  return {
    ...stat,
    configs: new Map(),
    invalid: [finding],
    warnings: [],
    rejected: new Map(),
    hiddenBy: finding,
  };
}

/**
 * Parses and validates one file. Every document stands alone: an invalid one is recorded and
 * skipped (with its identity when it can be read, so the store can keep its last good version), the
 * others are kept. Namespaced objects without a namespace land in `default`, as
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
  const rejected = new Map<string, Finding>();
  let hiddenBy = invalid[0];
  for (const resource of loaded.resources) {
    const result = validateLoadedResource(resource);
    warnings.push(...result.warnings);
    const clusterScoped = kubernetesKindOf(resource.apiVersion, resource.kind)?.namespaced === false;
    const namespace = resource.namespace || (clusterScoped ? '' : 'default');
    const key = configKey(resource.kind, namespace, resource.name);
    if (resource.category === 'unknown' && isIstioGroup(resource.apiVersion)) {
      // A typo in the kind of an Istio resource: no CRD serves it. Which resource it was meant to be
      // is unknowable, so the file keeps what it defined before.
      const unserved = unservedKind(resource);
      invalid.push(unserved);
      hiddenBy ??= unserved;
      continue;
    }
    if (result.errors.length > 0) {
      invalid.push(...result.errors);
      if (resource.name === '') hiddenBy ??= result.errors[0];
      else rejected.set(key, result.errors[0] as Finding);
      continue;
    }
    configs.set(key, {
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      namespace,
      name: resource.name,
      object: resource.object,
      resourceVersion: nextVersion(),
      source: resource.source,
    });
  }
  return {
    ...stat,
    configs,
    invalid: limitFindings(invalid, file),
    warnings: limitFindings(warnings, file),
    rejected,
    hiddenBy,
  };
}

function isIstioGroup(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return group === 'istio.io' || group.endsWith('.istio.io');
}

/** What kube-apiserver answers for a kind no CRD defines (`kubectl apply` prints the same). */
function unservedKind(resource: LoadedResource): Finding {
  return {
    code: 'API_VERSION_NOT_SERVED',
    level: 'Error',
    kind: resource.kind,
    namespace: resource.namespace,
    name: resource.name,
    path: 'kind',
    message: `no matches for kind "${resource.kind}" in version "${resource.apiVersion}"`,
    source: resource.source,
  };
}
