import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { ClusterPorts, ComponentName } from './component-args.js';
import type { ClusterPki, ClientName } from './pki.js';

/**
 * Where a cluster keeps everything in its directory:
 *
 *   kubeconfig            cluster-admin (the one users and tests take)
 *   cluster.json          what runs: ports, and each process's pid and start time
 *   pki/                  CA, serving and client certificates, service-account keys
 *   kubeconfigs/<name>    each component's own credentials
 *   etcd/                 etcd's data
 *   logs/<component>.log  each process's output
 *   kwok.yaml             the stages kwok plays (node Ready, pods Running/Ready)
 */
export interface ClusterLayout {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly stateFile: string;
  readonly etcdDataDir: string;
  readonly kwokConfig: string;
  readonly pki: ClusterPki;
  componentKubeconfig(client: ClientName): string;
  log(component: ComponentName): string;
}

export function layoutPaths(dir: string) {
  const root = resolve(dir);
  return {
    dir: root,
    kubeconfig: join(root, 'kubeconfig'),
    stateFile: join(root, 'cluster.json'),
    pkiDir: join(root, 'pki'),
    kubeconfigsDir: join(root, 'kubeconfigs'),
    logsDir: join(root, 'logs'),
    etcdDataDir: join(root, 'etcd'),
    kwokConfig: join(root, 'kwok.yaml'),
  };
}

/** A process the cluster started: its pid and the start time that tells it from a reused pid. */
export interface RunningComponent {
  readonly name: ComponentName;
  readonly pid: number;
  readonly startTime: string;
  readonly binary: string;
  readonly log: string;
}

/** cluster.json */
export interface ClusterState {
  readonly server: string;
  readonly ports: ClusterPorts;
  readonly kubernetesVersion: string;
  readonly components: readonly RunningComponent[];
}

export function readState(dir: string): ClusterState | undefined {
  const { stateFile } = layoutPaths(dir);
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
  } catch (error) {
    throw new Error(`${stateFile} is not a cluster state file: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export function writeState(dir: string, state: ClusterState): void {
  writeFileSync(layoutPaths(dir).stateFile, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}
