import { readFileSync } from 'node:fs';
import { request } from 'node:https';

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitUntil } from '@mesh/launcher';

import type { RunningComponent } from './cluster-layout.js';
import { isRunning, logTail } from './processes.js';

/**
 * Waiting for the cluster's parts to be ready, each by what it reports itself: etcd's /health,
 * kube-apiserver's /readyz, the node's Ready condition (kwok's heartbeat), and the `default`
 * ServiceAccount the controller manager creates in every namespace. A process that exits while it
 * is waited for fails the wait at once, with the end of its log.
 */

/** An HTTPS GET with the cluster's CA and a client certificate; resolves to status and body. */
export function httpsGet(url: string, tls: { ca: string; cert: string; key: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key), timeout: 5_000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export class ComponentExitedError extends Error {
  constructor(component: RunningComponent) {
    super(`${component.name} exited (log ${component.log}):\n${logTail(component.log)}`);
    this.name = 'ComponentExitedError';
  }
}

/**
 * Polls `check` until it holds; fails as soon as one of `watched` is no longer running, or with
 * `what` after the timeout.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  watched: readonly RunningComponent[],
  timeoutMs: number,
): Promise<void> {
  let exited: RunningComponent | undefined;
  await waitUntil(
    async () => {
      exited = watched.find((component) => !isRunning(component));
      return exited !== undefined || (await check());
    },
    timeoutMs,
    () => `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`,
    200,
  );
  if (exited) throw new ComponentExitedError(exited);
}

export async function nodeIsReady(kubeconfig: string, node: string): Promise<boolean> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const status = (await config.makeApiClient(CoreV1Api).readNode({ name: node })).status;
  return status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export async function defaultServiceAccountExists(kubeconfig: string): Promise<boolean> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  await config
    .makeApiClient(CoreV1Api)
    .readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
  return true;
}
