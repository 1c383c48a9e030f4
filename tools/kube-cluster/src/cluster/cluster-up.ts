import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

import type { BuiltFiles } from '../build/go-build.js';
import {
  layoutPaths,
  readState,
  writeState,
  type ClusterLayout,
  type ClusterState,
  type RunningComponent,
} from './cluster-layout.js';
import { LOCK_FILE, withDirectoryLock } from './directory-lock.js';
import {
  componentArgs,
  KUBERNETES_SERVICE_IP,
  NODE_NAME,
  type ClusterPorts,
  type ComponentName,
} from './component-args.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ensurePki, CLIENT_IDENTITIES, type ClientName } from './pki.js';
import { reservePorts } from './ports.js';
import { isRunning, startProcess, stopProcess } from './processes.js';
import { defaultServiceAccountExists, httpsGet, nodeIsReady, waitFor } from './readiness.js';

export interface UpOptions {
  readonly dir: string;
  /** The built programs (go-build.ts), by name. */
  readonly files: BuiltFiles;
  readonly kubernetesVersion: string;
  /** kube-apiserver's port; by default the one it had before in this directory, else a free one. */
  readonly apiServerPort?: number;
  readonly log?: (line: string) => void;
}

export class DirectoryInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryInUseError';
  }
}

/** The stages kwok plays, from kwok's own release (copied beside its binary by the build). */
const KWOK_STAGES = [
  'node-initialize.yaml',
  'node-heartbeat-with-lease.yaml',
  'pod-ready.yaml',
  'pod-complete.yaml',
  'pod-delete.yaml',
];

function file(files: BuiltFiles, name: string): string {
  const path = files.get(name);
  if (!path) throw new Error(`the build has no ${name}`);
  return path;
}

/** The directory must be new, empty, or a cluster of ours that is not running. */
function checkDirectory(dir: string): ClusterState | undefined {
  const state = readState(dir);
  const running = state?.components.filter(isRunning) ?? [];
  if (running.length > 0) {
    const list = running.map((c) => `${c.name} pid ${c.pid}`).join(', ');
    throw new DirectoryInUseError(
      `${dir} already runs a cluster (${list}; ${state?.server}): stop it first with \`npm run cluster -- down --dir ${dir}\``,
    );
  }
  if (!state && existsSync(dir) && readdirSync(dir).some((name) => name !== LOCK_FILE))
    throw new DirectoryInUseError(
      `${dir} is not empty and holds no cluster (no cluster.json): use a new or empty directory`,
    );
  return state;
}

function prepareLayout(dir: string, files: BuiltFiles, server: string): ClusterLayout {
  const paths = layoutPaths(dir);
  for (const sub of [paths.dir, paths.kubeconfigsDir, paths.logsDir, paths.etcdDataDir])
    mkdirSync(sub, { recursive: true, mode: 0o700 });
  const pki = ensurePki(paths.pkiDir, { serviceIp: KUBERNETES_SERVICE_IP });
  const layout: ClusterLayout = {
    ...paths,
    pki,
    componentKubeconfig: (client: ClientName) => join(paths.kubeconfigsDir, `${client}.yaml`),
    log: (component: ComponentName) => join(paths.logsDir, `${component}.log`),
  };
  // Rewritten at every start: the port may have changed since the last one.
  writeKubeconfig(layout.kubeconfig, { server, pki, client: 'admin' });
  for (const client of Object.keys(CLIENT_IDENTITIES) as ClientName[])
    writeKubeconfig(layout.componentKubeconfig(client), { server, pki, client });
  const stages = KWOK_STAGES.map((name) => readFileSync(file(files, name), 'utf8').trimEnd());
  writeFileSync(layout.kwokConfig, stages.join('\n---\n') + '\n');
  return layout;
}

/** kwok simulates the nodes it is given: the cluster gets one, schedulable by every pod. */
async function createNode(kubeconfig: string): Promise<void> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  try {
    await core.readNode({ name: NODE_NAME });
    return;
  } catch {
    // not there yet (a new cluster)
  }
  await core.createNode({
    body: {
      metadata: {
        name: NODE_NAME,
        labels: {
          'kubernetes.io/hostname': NODE_NAME,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      },
    },
  });
}

/**
 * Starts etcd, kube-apiserver, then the controller manager, the scheduler and kwok, and returns
 * once /readyz is ok, the node is Ready and the controllers have made the `default` ServiceAccount.
 * On any failure everything it started is stopped again.
 */
export async function up(options: UpOptions): Promise<ClusterState> {
  const log = options.log ?? (() => undefined);
  const dir = layoutPaths(options.dir).dir;
  return withDirectoryLock(dir, async () => {
    const previous = checkDirectory(dir);
    const ports: ClusterPorts = await reservePorts({
      apiServer: { purpose: 'the API server port', port: options.apiServerPort ?? previous?.ports.apiServer },
      // etcd remembers its peer URL: a restarted cluster keeps the ports it had.
      etcdClient: { purpose: 'the etcd client port this cluster had', port: previous?.ports.etcdClient },
      etcdPeer: { purpose: 'the etcd peer port this cluster had', port: previous?.ports.etcdPeer },
    });
    const server = `https://127.0.0.1:${ports.apiServer}`;
    const layout = prepareLayout(dir, options.files, server);
    const components: RunningComponent[] = [];
    const save = () =>
      writeState(dir, { server, ports, kubernetesVersion: options.kubernetesVersion, components });
    const start = (name: ComponentName, binary: string) => {
      const component = startProcess(name, binary, componentArgs(name, layout, ports), layout.log(name));
      components.push(component);
      save();
      log(`started ${name} (pid ${component.pid}), log ${component.log}`);
      return component;
    };
    try {
      const etcd = start('etcd', file(options.files, 'etcd'));
      const etcdTls = { ca: layout.pki.caCert, ...layout.pki.pair('apiserver-etcd-client') };
      await waitFor(
        'etcd /health',
        async () => (await httpsGet(`https://127.0.0.1:${ports.etcdClient}/health`, etcdTls)).status === 200,
        [etcd],
        30_000,
      );
      const apiServerProcess = start('kube-apiserver', file(options.files, 'kube-apiserver'));
      const adminTls = { ca: layout.pki.caCert, ...layout.pki.pair('admin') };
      await waitFor(
        'kube-apiserver /readyz',
        async () => (await httpsGet(`${server}/readyz`, adminTls)).status === 200,
        [etcd, apiServerProcess],
        120_000,
      );
      for (const name of ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const)
        start(name, file(options.files, name));
      await createNode(layout.kubeconfig);
      await waitFor(
        `node ${NODE_NAME} Ready`,
        () => nodeIsReady(layout.kubeconfig, NODE_NAME),
        components,
        120_000,
      );
      await waitFor(
        'the default ServiceAccount',
        () => defaultServiceAccountExists(layout.kubeconfig),
        components,
        120_000,
      );
    } catch (error) {
      for (const component of [...components].reverse()) await stopProcess(component);
      components.length = 0;
      save();
      throw error;
    }
    return { server, ports, kubernetesVersion: options.kubernetesVersion, components };
  });
}
