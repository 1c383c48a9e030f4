import { kubernetesKindOf } from '../api/kubernetes/kinds.js';
import { parseConfigFile, type ParsedFile } from '../loader/config-file.js';
import { loadYaml } from '../loader/load-yaml.js';
import type { StoredConfig } from '../store/config-store.js';
import type { ValidationChecks } from '../validation/envoy-patch-value.js';
import type { Finding, SourceLocation } from '../validation/finding.js';

/**
 * What the analyzers read: the resources of a set of YAML files as the shared loader accepts them
 * (the same parsing and validation as `meshctl validate` and istiod's file store), each with the line
 * of every field so messages point at the field at fault, as `istioctl analyze` does.
 */

export interface AnalysisResource {
  kind: string;
  apiVersion: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  name: string;
  /** The document as written. */
  object: Record<string, unknown>;
  /** Where it was read from; undefined for the defaults added for files-only analysis. */
  source?: SourceLocation;
  /** Line of every field, by field path (`spec.hosts[0]`). */
  fieldLines: ReadonlyMap<string, number>;
}

/** One file read for analysis: the loader's verdict, and the accepted resources with their field lines. */
export interface AnalysisFile {
  parsed: ParsedFile;
  /**
   * Accepted resources. `namespaceSet` is false when the document names no namespace: the loader's
   * `default` is then replaced by the namespace the analysis runs for.
   */
  resources: readonly (AnalysisResource & { namespaceSet: boolean })[];
}

export interface FileError {
  file: string;
  /** `file:line: reason`, or a reason naming its locations. */
  message: string;
}

export interface AnalysisInput {
  resources: AnalysisResource[];
  /** The loader's findings on identified resources (namespace resolved): schema errors and warnings. */
  findings: Finding[];
  /** What kept part of a file out of the analysis (syntax errors, duplicates). */
  fileErrors: FileError[];
}

/**
 * Parses a file for analysis. The loader parses and validates it; the field lines come from a second,
 * pure parse of the same text (the loader does not keep them), matched to the accepted resources by
 * the line each document starts at.
 */
export function readAnalysisFile(
  text: string,
  file: string,
  nextVersion: () => string,
  checks: ValidationChecks = {},
): AnalysisFile {
  return withFieldLines(parseConfigFile(text, file, nextVersion, checks), text);
}

/** A file the loader refused unread (too large): it contributes its error only. */
export function refusedAnalysisFile(parsed: ParsedFile): AnalysisFile {
  return { parsed, resources: [] };
}

function withFieldLines(parsed: ParsedFile, text: string): AnalysisFile {
  const accepted = new Map<number, StoredConfig>();
  for (const config of parsed.configs.values())
    if (config.source !== undefined) accepted.set(config.source.line, config);
  const resources: AnalysisFile['resources'][number][] = [];
  for (const loaded of loadYaml(text, parsed.file).resources) {
    const config = accepted.get(loaded.source.line);
    if (config === undefined || config.kind !== loaded.kind || config.name !== loaded.name) continue;
    resources.push({
      kind: loaded.kind,
      apiVersion: loaded.apiVersion,
      namespace: config.namespace,
      namespaceSet: loaded.namespace !== '' || config.namespace === '',
      name: loaded.name,
      object: loaded.object,
      source: loaded.source,
      fieldLines: loaded.fieldLines,
    });
  }
  return { parsed, resources };
}

/** Namespaces istioctl leaves out of analysis (sidecar injection ignores them too). */
const IGNORED_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

export interface AnalysisInputOptions {
  /** The namespace of resources whose document sets none (`-n`, else `default`). */
  defaultNamespace: string;
  /**
   * Add what an Istio install provides and files rarely contain, as istioctl does for files-only
   * analysis: the ingress gateway's Service and a pod of it in `istioNamespace`.
   */
  addInstallDefaults: boolean;
  istioNamespace: string;
  /** MeshConfig `ingressService`: the name of the ingress gateway's Service (and pod) the defaults add. */
  ingressService?: string;
}

/**
 * The files merged as one set: the first definition of a resource wins (later ones are reported,
 * as istioctl's file source refuses them), resources in ignored namespaces are left out.
 */
export function buildAnalysisInput(
  files: readonly AnalysisFile[],
  options: AnalysisInputOptions,
): AnalysisInput {
  const byKey = new Map<string, AnalysisResource>();
  const findings: Finding[] = [];
  const fileErrors: FileError[] = [];
  for (const { parsed, resources } of files) {
    for (const finding of [...parsed.invalid, ...parsed.warnings]) {
      if (finding.name === '') {
        const where = finding.source ? `${finding.source.file}:${finding.source.line}` : parsed.file;
        fileErrors.push({ file: parsed.file, message: `${where}: ${finding.message}` });
        continue;
      }
      const namespace = resolveNamespace(finding.kind, finding.namespace, options.defaultNamespace);
      if (!IGNORED_NAMESPACES.has(namespace)) findings.push({ ...finding, namespace });
    }
    for (const { namespaceSet, ...resource } of resources) {
      const namespace = namespaceSet ? resource.namespace : options.defaultNamespace;
      if (IGNORED_NAMESPACES.has(resource.kind === 'Namespace' ? resource.name : namespace)) continue;
      const key = `${resource.kind}/${namespace}/${resource.name}`;
      const first = byKey.get(key);
      if (first !== undefined) {
        fileErrors.push({
          file: parsed.file,
          message:
            `cannot store config ${resource.kind} ${namespace}/${resource.name} from ${where(resource)}: ` +
            `item already exists (${where(first)})`,
        });
        continue;
      }
      byKey.set(key, { ...resource, namespace });
    }
  }
  const resources = [...byKey.values()];
  if (options.addInstallDefaults)
    resources.push(
      ...installDefaults(options.istioNamespace, options.ingressService ?? INGRESS_GATEWAY, byKey),
    );
  return { resources, findings, fileErrors };
}

function where(resource: AnalysisResource): string {
  return resource.source ? `${resource.source.file}:${resource.source.line}` : 'defaults';
}

function resolveNamespace(kind: string, namespace: string, defaultNamespace: string): string {
  if (namespace !== '') return namespace;
  return kubernetesKindOf('v1', kind)?.namespaced === false ? '' : defaultNamespace;
}

const INGRESS_GATEWAY = 'istio-ingressgateway';

/** istioctl's files-only defaults (`pkg/config/analysis/local/defaults.go`), unless the files define them. */
function installDefaults(
  namespace: string,
  serviceName: string,
  defined: ReadonlyMap<string, AnalysisResource>,
): AnalysisResource[] {
  const labels = { istio: 'ingressgateway' };
  const pod: AnalysisResource = {
    kind: 'Pod',
    apiVersion: 'v1',
    namespace,
    name: `${serviceName}-dummypod`,
    object: {
      metadata: { name: `${serviceName}-dummypod`, namespace, labels },
      spec: { containers: [{ name: 'istio-proxy' }] },
    },
    fieldLines: new Map(),
  };
  const port = (name: string, number: number) => ({
    name,
    port: number,
    protocol: 'TCP',
    targetPort: number,
  });
  const service: AnalysisResource = {
    kind: 'Service',
    apiVersion: 'v1',
    namespace,
    name: serviceName,
    object: {
      metadata: { name: serviceName, namespace },
      spec: {
        ports: [port('http2', 80), port('https', 443), port('tcp', 31400), port('tls', 15443)],
        selector: labels,
      },
    },
    fieldLines: new Map(),
  };
  return [pod, service].filter((r) => !defined.has(`${r.kind}/${r.namespace}/${r.name}`));
}
