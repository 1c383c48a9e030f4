import { kubernetesKindOf } from '../api/kubernetes/kinds.js';
import { configKey, type StoredConfig } from '../store/config-store.js';
import type { ValidationChecks } from '../validation/envoy-patch-value.js';
import type { Finding } from '../validation/finding.js';
import { validateLoadedResource } from '../validation/validate-resource.js';
import { limitFindings, MAX_CONFIG_FILE_BYTES, oversizeFile } from './input-limits.js';
import { loadYaml, type LoadedResource } from './load-yaml.js';

/**
 * One config file, parsed and validated as istiod's file store takes it in: what `meshctl validate`
 * reports and what `meshctl local status` evaluates are computed by this same code.
 */
export interface ParsedFile {
  /** The file's name as findings and sources give it (relative to the config directory in istiod). */
  file: string;
  /** Resources the file holds, valid or not. */
  resources: number;
  /** The valid resources, by {@link configKey}. */
  configs: Map<string, StoredConfig>;
  /** Errors: YAML syntax errors and invalid resources, each skipped. At most the per-file cap. */
  invalid: Finding[];
  /** Accepted with a warning (e.g. EnvoyFilter is stored but not applied). At most the per-file cap. */
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

/**
 * A file above the size limit, refused before it is read (reading it would cost the memory and time
 * the limit is there to bound): it defines nothing new and hides what it defined. Undefined when the
 * file may be read: `refuseOversizeFile(file, size) ?? parseConfigFile(await read(), file, ...)`.
 */
export function refuseOversizeFile(file: string, size: number): ParsedFile | undefined {
  if (size <= MAX_CONFIG_FILE_BYTES) return undefined;
  const finding = oversizeFile(file, size);
  return {
    file,
    resources: 0,
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
 * others are kept. Namespaced objects without a namespace land in `default`, object included, as
 * `kubectl apply` puts them (the evaluators read a policy's namespace from its metadata); kinds the
 * mesh does not know are kept untouched, except an unknown kind of an Istio group, which no CRD
 * serves. `checks` are those validation takes from libraries it may not import (EnvoyFilter patch values).
 */
export function parseConfigFile(
  text: string,
  file: string,
  nextVersion: () => string,
  checks: ValidationChecks = {},
): ParsedFile {
  const loaded = loadYaml(text, file);
  const invalid = loaded.findings.filter((f) => f.level === 'Error');
  const warnings = loaded.findings.filter((f) => f.level === 'Warning');
  const configs = new Map<string, StoredConfig>();
  const rejected = new Map<string, Finding>();
  let hiddenBy = invalid[0];
  for (const resource of loaded.resources) {
    const result = validateLoadedResource(resource, checks);
    warnings.push(...result.warnings);
    const namespace = storedNamespace(resource);
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
      object: withNamespace(resource.object, namespace),
      resourceVersion: nextVersion(),
      source: resource.source,
    });
  }
  return {
    file,
    resources: loaded.resources.length,
    configs,
    invalid: limitFindings(invalid, file),
    warnings: limitFindings(warnings, file),
    rejected,
    hiddenBy,
  };
}

/**
 * The namespace a resource is stored under: its own, `default` for a namespaced kind without one (as
 * `kubectl apply` does), empty for cluster-scoped kinds. With kind and name, its identity (`configKey`).
 */
export function storedNamespace(resource: Pick<LoadedResource, 'apiVersion' | 'kind' | 'namespace'>): string {
  const clusterScoped = kubernetesKindOf(resource.apiVersion, resource.kind)?.namespaced === false;
  return resource.namespace || (clusterScoped ? '' : 'default');
}

/** The object with `metadata.namespace` set, as the API server stores it. */
function withNamespace(object: Record<string, unknown>, namespace: string): Record<string, unknown> {
  const metadata = object['metadata'];
  if (namespace === '' || typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    return object;
  if ((metadata as { namespace?: unknown }).namespace === namespace) return object;
  return { ...object, metadata: { ...metadata, namespace } };
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
