import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { V1Container, V1EnvVar, V1Pod, V1Volume } from '@kubernetes/client-node';
import type { KubeCluster } from '@mesh/kube-cluster';

/**
 * What the kubelet would give an injected pod's `istio-proxy` container, for running it as a process
 * beside a cluster whose pods kwok only simulates: the environment with the downward-API values
 * resolved from the pod as the API server has it, the arguments with `$(VAR)` expanded from that
 * environment, and the container's volumes written under a directory standing for the container's
 * `/` (the projected token made by the API server for the pod, the ConfigMaps, the podinfo files).
 */

/** A pod field by its downward-API path (`metadata.name`, `status.podIP`, `spec.nodeName`). */
function podField(pod: V1Pod, path: string): string {
  let value: unknown = pod;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'string') throw new Error(`pod field ${path} is not set`);
  return value;
}

/** A `resourceFieldRef` as the kubelet resolves it with divisor 1: CPU cores rounded up, memory bytes. */
function resourceValue(container: V1Container, resource: string): string {
  const quantity = (container.resources?.limits as Record<string, string> | undefined)?.[
    resource.replace(/^limits\./, '')
  ];
  if (quantity === undefined) throw new Error(`container ${container.name} has no ${resource}`);
  const match = /^(\d+)(m|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`quantity ${quantity} is not one this helper reads`);
  const n = Number(match[1]);
  const unit = match[2];
  if (unit === 'm') return String(Math.ceil(n / 1000));
  return String(n * (unit === 'Mi' ? 2 ** 20 : unit === 'Gi' ? 2 ** 30 : 1));
}

export function containerEnv(pod: V1Pod, container: V1Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? ([] as V1EnvVar[])) {
    const from = variable.valueFrom;
    if (from?.fieldRef) env[variable.name] = podField(pod, from.fieldRef.fieldPath);
    else if (from?.resourceFieldRef)
      env[variable.name] = resourceValue(container, from.resourceFieldRef.resource);
    else if (from) throw new Error(`env ${variable.name}: valueFrom kind not resolved here`);
    else env[variable.name] = expand(variable.value ?? '', env);
  }
  return env;
}

/** The kubelet's `$(VAR)` expansion: defined variables are replaced, others left as written. */
export function expand(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}

/** `key="value"` lines, as the downward API writes `metadata.labels` and `metadata.annotations`. */
function downwardApiMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}\n`)
    .join('');
}

type KeyToPath = { key: string; path: string };
type DownwardItem = { path: string; fieldRef?: { fieldPath: string } };

async function configMapFiles(
  cluster: KubeCluster,
  namespace: string,
  source: { name?: string; items?: KeyToPath[]; optional?: boolean },
): Promise<Record<string, string>> {
  const text = await cluster
    .runKubectl(['get', 'configmap', source.name ?? '', '-n', namespace, '-o', 'json'])
    .catch((err: unknown) => {
      if (source.optional) return '{}';
      throw err;
    });
  const data = (JSON.parse(text) as { data?: Record<string, string> }).data ?? {};
  if (!source.items) return data;
  return Object.fromEntries(source.items.map((item) => [item.path, data[item.key] ?? '']));
}

function downwardApiFiles(pod: V1Pod, items: readonly DownwardItem[]): Record<string, string> {
  const meta = pod.metadata ?? {};
  return Object.fromEntries(
    items.map((item) => {
      const field = item.fieldRef?.fieldPath;
      if (field === undefined) throw new Error(`downward API item ${item.path}: not a fieldRef`);
      if (field === 'metadata.labels') return [item.path, downwardApiMap(meta.labels)];
      if (field === 'metadata.annotations') return [item.path, downwardApiMap(meta.annotations)];
      return [item.path, podField(pod, field)];
    }),
  );
}

/** As the kubelet asks for a projected token: bound to this pod, for the audience and lifetime given. */
async function podToken(
  cluster: KubeCluster,
  pod: V1Pod,
  source: { audience?: string; expirationSeconds?: number },
): Promise<string> {
  return (
    await cluster.runKubectl([
      ...['create', 'token', podField(pod, 'spec.serviceAccountName')],
      ...['-n', podField(pod, 'metadata.namespace')],
      ...(source.audience ? ['--audience', source.audience] : []),
      ...['--bound-object-kind', 'Pod', '--bound-object-name', podField(pod, 'metadata.name')],
      ...['--bound-object-uid', podField(pod, 'metadata.uid')],
      ...['--duration', `${source.expirationSeconds ?? 3600}s`],
    ])
  ).trim();
}

async function volumeFiles(
  cluster: KubeCluster,
  pod: V1Pod,
  volume: V1Volume,
): Promise<Record<string, string>> {
  const namespace = podField(pod, 'metadata.namespace');
  if (volume.emptyDir) return {};
  if (volume.configMap) return configMapFiles(cluster, namespace, volume.configMap);
  if (volume.downwardAPI) return downwardApiFiles(pod, volume.downwardAPI.items ?? []);
  if (!volume.projected) throw new Error(`volume ${volume.name}: kind not resolved here`);
  const files: Record<string, string> = {};
  for (const source of volume.projected.sources ?? []) {
    if (source.serviceAccountToken)
      files[source.serviceAccountToken.path] = await podToken(cluster, pod, source.serviceAccountToken);
    else if (source.configMap)
      Object.assign(files, await configMapFiles(cluster, namespace, source.configMap));
    else if (source.downwardAPI) Object.assign(files, downwardApiFiles(pod, source.downwardAPI.items ?? []));
    else throw new Error(`volume ${volume.name}: projected source kind not resolved here`);
  }
  return files;
}

/** Writes every volume `container` mounts under `root`, at its mount path; returns the files written. */
export async function writeContainerVolumes(
  cluster: KubeCluster,
  pod: V1Pod,
  container: V1Container,
  root: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`mount ${mount.name}: the pod has no such volume`);
    const dir = join(root, mount.mountPath);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [file, content] of Object.entries(await volumeFiles(cluster, pod, volume))) {
      writeFileSync(join(dir, file), content, { mode: 0o600 });
      written.push(join(mount.mountPath, file));
    }
  }
  return written;
}
