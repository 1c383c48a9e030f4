import { readFile } from 'node:fs/promises';

import { CoreV1Api } from '@kubernetes/client-node';
import {
  detectNativeSidecars,
  isNotFound,
  loadKubeConfig,
  NATIVE_SIDECARS_ENV,
  parseInjectionValues,
  parseInjectorConfig,
  parseNativeSidecarMode,
  type NodeVersion,
} from '@mesh/kube';
import {
  parseMeshConfigYaml,
  type ResolvedMeshConfig,
  DEFAULT_MESH_CONFIG,
  formatFinding,
} from '@mesh/policy';

import { describeClusterError } from '../install/cluster-connection.js';
import type { InjectionSettings } from './inject-manifests.js';

/**
 * Where `kube-inject` takes the injector's settings from, as istioctl does: each of the three
 * (`config` and `values` of the `istio-sidecar-injector` ConfigMap, `mesh` of the `istio` ConfigMap)
 * from its file flag when given, else from the cluster with `--kubeconfig`/`--context`, else Istio's
 * defaults. Native sidecars follow ENABLE_NATIVE_SIDECARS (the environment, then the chart's
 * `pilot.env`); in `auto` the cluster's node versions decide, and without a cluster they are off.
 */

export interface InjectionSourceOptions {
  injectConfigFile?: string;
  valuesFile?: string;
  meshConfigFile?: string;
  /** Read what no file gives from the cluster. */
  cluster?: { kubeconfig?: string; context?: string };
  istioNamespace: string;
  revision: string;
  injectConfigMapName: string;
  meshConfigMapName: string;
}

export interface LoadedSettings {
  settings: InjectionSettings;
  /** Where each part came from, for the user (stderr). */
  sources: string[];
}

/** Reading the settings failed: the message says which source and why. */
export class InjectionSourceError extends Error {
  override readonly name = 'InjectionSourceError';
}

const suffix = (revision: string) => (revision === '' || revision === 'default' ? '' : `-${revision}`);

interface ClusterData {
  injector?: Record<string, string>;
  mesh?: Record<string, string>;
  nodes: NodeVersion[];
}

async function readCluster(options: InjectionSourceOptions): Promise<ClusterData> {
  const cluster = options.cluster ?? {};
  let api: CoreV1Api;
  let server = '';
  try {
    const config = loadKubeConfig(cluster);
    server = config.getCurrentCluster()?.server ?? '';
    api = config.makeApiClient(CoreV1Api);
  } catch (err) {
    throw new InjectionSourceError(`cannot load the kubeconfig: ${(err as Error).message}`);
  }
  const configMap = async (name: string) => {
    try {
      return (await api.readNamespacedConfigMap({ name, namespace: options.istioNamespace })).data ?? {};
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw clusterError(err, server, `ConfigMap ${options.istioNamespace}/${name}`);
    }
  };
  const injector = await configMap(options.injectConfigMapName + suffix(options.revision));
  const mesh = await configMap(options.meshConfigMapName + suffix(options.revision));
  let nodes: NodeVersion[] = [];
  try {
    nodes = (await api.listNode()).items.map((n) => ({
      name: n.metadata?.name ?? '',
      kubeletVersion: n.status?.nodeInfo?.kubeletVersion,
    }));
  } catch (err) {
    throw clusterError(err, server, 'nodes');
  }
  return { injector, mesh, nodes };
}

function clusterError(err: unknown, server: string, what: string): InjectionSourceError {
  return new InjectionSourceError(describeClusterError(err, server, `read ${what}`).message);
}

async function readText(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InjectionSourceError(
      `--${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function meshConfigOf(text: string, file: string): ResolvedMeshConfig {
  const { meshConfig, errors } = parseMeshConfigYaml(text, file);
  if (!meshConfig) throw new InjectionSourceError(errors.map((e) => formatFinding(e)).join('\n'));
  return meshConfig;
}

/**
 * One part of the settings: its file when given, else the cluster's text (when a cluster was read),
 * else Istio's defaults (`parse(undefined)`); an error names where the text came from.
 */
async function part<T>(
  flag: string,
  file: string | undefined,
  cluster: { text: string | undefined; name: string } | undefined,
  parse: (text: string | undefined, where: string) => T,
  sources: string[],
): Promise<T> {
  const text = file !== undefined ? await readText(flag, file) : cluster?.text;
  const where = file ?? (cluster?.text !== undefined ? cluster.name : "Istio's defaults");
  sources.push(`${flag}: ${where}`);
  try {
    return parse(text, where);
  } catch (err) {
    if (err instanceof InjectionSourceError) throw err;
    throw new InjectionSourceError(`${where}: ${(err as Error).message}`);
  }
}

export async function loadInjectionSettings(options: InjectionSourceOptions): Promise<LoadedSettings> {
  const sources: string[] = [];
  const { injectConfigFile, valuesFile, meshConfigFile } = options;
  const needCluster =
    options.cluster !== undefined &&
    (injectConfigFile === undefined || valuesFile === undefined || meshConfigFile === undefined);
  const cluster = needCluster ? await readCluster(options) : undefined;
  const rev = suffix(options.revision);
  const injectorName = `ConfigMap ${options.istioNamespace}/${options.injectConfigMapName}${rev}`;
  if (
    cluster &&
    cluster.injector === undefined &&
    (injectConfigFile === undefined || valuesFile === undefined)
  )
    throw new InjectionSourceError(
      `${injectorName} not found: is the control plane of revision "${options.revision || 'default'}" installed?`,
    );
  const injector = (key: string) =>
    cluster && { text: cluster.injector?.[key], name: `${injectorName} key ${key}` };
  const config = await part(
    'injectConfigFile',
    injectConfigFile,
    injector('config'),
    parseInjectorConfig,
    sources,
  );
  const values = await part('valuesFile', valuesFile, injector('values'), parseInjectionValues, sources);
  const meshName = `ConfigMap ${options.istioNamespace}/${options.meshConfigMapName}${rev} key mesh`;
  const meshConfig = await part(
    'meshConfigFile',
    meshConfigFile,
    cluster && { text: cluster.mesh?.['mesh'], name: meshName },
    (text, where) => (text === undefined ? DEFAULT_MESH_CONFIG : meshConfigOf(text, where)),
    sources,
  );
  let mode;
  try {
    mode = parseNativeSidecarMode(process.env[NATIVE_SIDECARS_ENV] ?? values.pilotEnv[NATIVE_SIDECARS_ENV]);
  } catch (err) {
    throw new InjectionSourceError((err as Error).message);
  }
  const nativeSidecars = detectNativeSidecars(mode, cluster?.nodes);
  const why = mode !== 'auto' ? '' : cluster ? ', from the node versions' : ', no cluster to ask';
  sources.push(`native sidecars: ${nativeSidecars} (${NATIVE_SIDECARS_ENV}=${mode}${why})`);
  return { settings: { config, values, meshConfig, nativeSidecars }, sources };
}
