import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';

import { buildAll, builtFiles, type BuiltFiles } from './build/go-build.js';
import { kubernetesVersion } from './build/go-components.js';
import { down } from './cluster/cluster-down.js';
import { layoutPaths, type ClusterState } from './cluster/cluster-layout.js';
import { up } from './cluster/cluster-up.js';

/**
 * A running cluster for tests: the admin kubeconfig and the built kubectl and helm. Tests share
 * nothing through it but the machine: each cluster gets its own directory and ports.
 */
export interface KubeCluster {
  readonly dir: string;
  /** The cluster-admin kubeconfig file. */
  readonly kubeconfig: string;
  /** kube-apiserver's URL. */
  readonly server: string;
  readonly kubectl: string;
  readonly helm: string;
  readonly kubernetesVersion: string;
  /** A client-node KubeConfig for cluster-admin. */
  kubeConfig(): KubeConfig;
  /** Runs kubectl against the cluster as cluster-admin; resolves to its stdout, rejects with its stderr. */
  runKubectl(args: readonly string[], input?: string): Promise<string>;
  /** Runs helm against the cluster as cluster-admin. */
  runHelm(args: readonly string[]): Promise<string>;
  /** Stops every process; removes the directory if startKubeCluster made it. */
  down(): Promise<void>;
}

export interface StartKubeClusterOptions {
  /** The cluster directory; by default a new one under the system temp dir, removed by down(). */
  readonly dir?: string;
  readonly apiServerPort?: number;
}

function runTool(
  binary: string,
  kubeconfig: string,
  args: readonly string[],
  input?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      [...args],
      { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${binary} ${args.join(' ')}: ${stderr.trim() || error.message}`))
          : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Starts a cluster from the built binaries (`npm run cluster -- build` must have run: see builtFiles). */
export async function startKubeCluster(options: StartKubeClusterOptions = {}): Promise<KubeCluster> {
  const files = await builtFiles();
  const ownDir = options.dir === undefined;
  const dir = layoutPaths(options.dir ?? mkdtempSync(join(tmpdir(), 'kube-cluster-'))).dir;
  let state: ClusterState;
  try {
    state = await up({
      dir,
      files,
      kubernetesVersion: kubernetesVersion(),
      apiServerPort: options.apiServerPort,
    });
  } catch (error) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return clusterHandle(dir, files, state, ownDir);
}

/**
 * The time a test file's first hook may take when it starts a cluster with buildAndStartCluster: it
 * builds the Kubernetes binaries when the cache lacks them (CI builds them in an earlier step; a cold
 * build on two busy cores takes most of an hour), then starts the cluster (about 10 s).
 */
export const CLUSTER_HOOK_TIMEOUT_MS = 2 * 60 * 60_000;

/** For tests: builds the binaries if the cache lacks them, then starts a cluster in a new directory. */
export async function buildAndStartCluster(options: StartKubeClusterOptions = {}): Promise<KubeCluster> {
  await buildAll({ log: (line) => process.stderr.write(`kube-cluster: ${line}\n`) });
  return startKubeCluster(options);
}

function clusterHandle(dir: string, files: BuiltFiles, state: ClusterState, ownDir: boolean): KubeCluster {
  const { kubeconfig } = layoutPaths(dir);
  const tool = (name: string) => {
    const path = files.get(name);
    if (!path) throw new Error(`the build has no ${name}`);
    return path;
  };
  return {
    dir,
    kubeconfig,
    server: state.server,
    kubectl: tool('kubectl'),
    helm: tool('helm'),
    kubernetesVersion: state.kubernetesVersion,
    kubeConfig() {
      const config = new KubeConfig();
      config.loadFromFile(kubeconfig);
      return config;
    },
    runKubectl: (args, input) => runTool(tool('kubectl'), kubeconfig, args, input),
    runHelm: (args) => runTool(tool('helm'), kubeconfig, args),
    async down() {
      await down(dir);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
