import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  formatFinding,
  LAST_GOOD_FILE,
  parseLastGood,
  parseMeshConfigYaml,
  type MeshConfigValidation,
  type ParsedFile,
  type StoredConfig,
} from '@mesh/policy';
import { DEFAULT_DOMAIN_SUFFIX, MeshSnapshot, resolveHost, type WorkloadInstance } from '@mesh/registry';
import { DEFAULT_MESH_SETTINGS, meshSettingsOf, type MeshSettings, type SidecarProxy } from '@mesh/xds';

import { parseMeshFile } from '../local/mesh-file.js';

import { readRunState, type InstanceState, type RunState } from '../local/run-state.js';
import { collectConfigFiles } from '../validate/collect-files.js';
import { readConfigFile, readConfigTree } from '../validate/read-config-files.js';

/**
 * The mesh `tls-check`, `authz check` and `describe pod` explain: the config and workloads of YAML files
 * (offline), or of a running local mesh — its config directory read by istiod's loader from the last
 * good versions istiod saved, and its workload instances registered as their sidecars register them with
 * istiod — or of a cluster (cluster-mesh.ts); with the MeshConfig settings istiod generates with.
 */

export interface DiagnoseInstance {
  instance: string;
  workload: string;
  namespace: string;
  address: string;
  labels: Record<string, string>;
  serviceAccount: string;
  sidecar: boolean;
  /** Where its sidecar's admin answers (a running local mesh only). */
  admin?: { port: number; netns?: string };
}

export interface DiagnoseMesh {
  source: 'files' | 'local' | 'cluster';
  snapshot: MeshSnapshot;
  instances: DiagnoseInstance[];
  /** MeshConfig's settings (rootNamespace, trustDomain, ...), as istiod generates with them. */
  settings: MeshSettings;
}

/** istiod's namespace, where its MeshConfig ConfigMap `istio` lives (Istio's default istioNamespace). */
export const ISTIO_NAMESPACE = 'istio-system';
export const MESH_CONFIG_MAP = 'istio';

/** Exit codes shared by the diagnose commands (documented in their help). */
export const EXIT = { ok: 0, found: 1, usage: 2, noMesh: 3 } as const;

/** A problem the command reports and exits with, rather than a crash. */
export class DiagnoseError extends Error {
  constructor(
    message: string,
    readonly exit: number = EXIT.usage,
  ) {
    super(message);
  }
}

/** YAML files and directories (as `meshctl validate` reads them); invalid resources are refused. */
export async function meshFromFiles(paths: readonly string[]): Promise<DiagnoseMesh> {
  const parsed: ParsedFile[] = [];
  try {
    for (const file of collectConfigFiles(paths)) parsed.push(await readConfigFile(file));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new DiagnoseError(`cannot read ${e.path ?? ''}: ${e.code ?? e.message}`);
  }
  const invalid = parsed.flatMap((file) => file.invalid);
  if (invalid.length > 0)
    throw new DiagnoseError(
      `invalid configuration (see meshctl validate):\n${invalid.map(formatFinding).join('\n')}`,
    );
  const configs = parsed.flatMap((file) => [...file.configs.values()]);
  const snapshot = new MeshSnapshot(configs);
  const instances = snapshot.workloadInstances().map(diagnoseInstance);
  return { source: 'files', snapshot, instances, settings: meshSettingsFrom(configs) };
}

/** A Pod or WorkloadEntry of the config as a workload instance: `app` names its workload. */
export function diagnoseInstance(w: WorkloadInstance): DiagnoseInstance {
  return {
    instance: w.name,
    workload: w.labels['app'] ?? w.name,
    namespace: w.namespace,
    address: w.address,
    labels: w.labels,
    serviceAccount: w.serviceAccount,
    sidecar: w.tlsMode === 'istio',
  };
}

/**
 * The MeshConfig of istiod's `istio` ConfigMap (its `mesh` key, as istiod's MeshConfigSource reads it),
 * validated with Istio's defaults applied; undefined when the ConfigMap has no `mesh` text.
 */
export function meshConfigOfConfigMap(
  configMap: Record<string, unknown> | undefined,
): MeshConfigValidation | undefined {
  const text = (configMap?.['data'] as Record<string, unknown> | undefined)?.['mesh'];
  if (typeof text !== 'string') return undefined;
  return parseMeshConfigYaml(text, `ConfigMap ${ISTIO_NAMESPACE}/${MESH_CONFIG_MAP} data.mesh`);
}

/**
 * The settings of the MeshConfig istiod reads among `configs` (the `istio` ConfigMap in its namespace),
 * else Istio's defaults; `trustDomain` (istiod's `--trust-domain`) wins over MeshConfig's. An invalid
 * MeshConfig is an error: istiod would not start.
 */
export function meshSettingsFrom(configs: readonly StoredConfig[], trustDomain?: string): MeshSettings {
  const configMap = configs.find(
    (c) => c.kind === 'ConfigMap' && c.namespace === ISTIO_NAMESPACE && c.name === MESH_CONFIG_MAP,
  );
  const validation = meshConfigOfConfigMap(configMap?.object);
  let settings = DEFAULT_MESH_SETTINGS;
  if (validation !== undefined) {
    const { meshConfig, errors } = validation;
    if (meshConfig === undefined || errors.length > 0)
      throw new DiagnoseError(`invalid MeshConfig:\n${errors.map(formatFinding).join('\n')}`);
    settings = meshSettingsOf(meshConfig);
  }
  return trustDomain === undefined ? settings : { ...settings, trustDomain };
}

/** The trust domain the local mesh's istiod was started with (its mesh file's), if the file still reads. */
async function localTrustDomain(meshFile: string): Promise<string | undefined> {
  try {
    return parseMeshFile(await readFile(meshFile, 'utf8'), meshFile).trustDomain;
  } catch {
    return undefined;
  }
}

/** A workload instance of the local mesh as istiod holds it once its sidecar registered. */
function registeredInstance(instance: InstanceState): WorkloadInstance {
  return {
    name: instance.instance,
    namespace: instance.namespace,
    address: instance.address,
    labels: instance.labels,
    serviceAccount: instance.serviceAccount,
    namedPorts: {},
    tlsMode: 'istio',
    origin: 'registered',
  };
}

/** The local mesh running on `stateDir`: its run state and instances (no config read). */
export function runningMesh(stateDir: string): { state: RunState; instances: DiagnoseInstance[] } {
  const state = readRunState(stateDir);
  if (!state)
    throw new DiagnoseError(
      'no local mesh is running on this state directory (npx meshctl local up -f FILE), and no -f files were given',
      EXIT.noMesh,
    );
  const instances = state.instances.map((i) => ({
    instance: i.instance,
    workload: i.workload,
    namespace: i.namespace,
    address: i.address,
    labels: i.labels,
    serviceAccount: i.serviceAccount,
    sidecar: i.sidecar,
    ...(i.sidecar
      ? { admin: { port: i.adminPort ?? 15000, ...(i.netns === undefined ? {} : { netns: i.netns }) } }
      : {}),
  }));
  return { state, instances };
}

/** The local mesh running on `stateDir`, with the config istiod enforces. */
export async function meshFromLocal(stateDir: string): Promise<DiagnoseMesh> {
  const { state, instances } = runningMesh(stateDir);
  const copy = join(stateDir, LAST_GOOD_FILE);
  const saved = await readFile(copy, 'utf8').then(
    (text) => parseLastGood(text, copy, () => undefined),
    () => new Map(),
  );
  const tree = await readConfigTree(state.configDir, saved);
  // Only instances with a sidecar register with istiod; the others are no endpoint of any service.
  const registered = state.instances.filter((i) => i.sidecar).map(registeredInstance);
  const configs = [...tree.merge().configs.values()];
  const snapshot = new MeshSnapshot(configs, registered);
  const settings = meshSettingsFrom(configs, await localTrustDomain(state.meshFile));
  return { source: 'local', snapshot, instances, settings };
}

/** The instances `name` designates: a workload (all its instances) or one instance, in `namespace` if given. */
export function instancesNamed(
  mesh: Pick<DiagnoseMesh, 'instances'>,
  name: string,
  namespace?: string,
): DiagnoseInstance[] {
  const found = mesh.instances.filter(
    (i) =>
      (i.workload === name || i.instance === name) && (namespace === undefined || i.namespace === namespace),
  );
  if (found.length > 0) return found;
  const names = [...new Set(mesh.instances.flatMap((i) => [i.workload, i.instance]))].sort();
  throw new DiagnoseError(
    `no workload or instance "${name}"${namespace ? ` in namespace ${namespace}` : ''}; known: ${names.join(', ') || 'none'}`,
  );
}

/** The proxy istiod generates config for, as the instance's sidecar describes itself. */
export function sidecarProxyOf(instance: DiagnoseInstance): SidecarProxy {
  const { address, namespace } = instance;
  return {
    id: `sidecar~${address}~${instance.instance}.${namespace}~${namespace}.svc.${DEFAULT_DOMAIN_SUFFIX}`,
    namespace,
    labels: instance.labels,
    ipAddresses: [address],
    serviceAccount: instance.serviceAccount,
  };
}

/** A service as users name it (`backend`, `backend.default`, the FQDN), resolved from `namespace`. */
export function resolveService(mesh: DiagnoseMesh, name: string, namespace: string): string {
  const candidates = [resolveHost(name, namespace), `${name}.svc.${DEFAULT_DOMAIN_SUFFIX}`, name];
  const host = candidates.find((candidate) => mesh.snapshot.service(candidate) !== undefined);
  if (host !== undefined) return host;
  const known = mesh.snapshot.services.map((s) => s.hostname);
  throw new DiagnoseError(
    `no service "${name}" seen from namespace ${namespace}; services: ${known.join(', ') || 'none'}`,
  );
}
