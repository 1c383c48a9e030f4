import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import type { KubeCluster } from '@mesh/kube-cluster';
import { parse, stringify } from 'yaml';

/**
 * What the tests that run istiod beside a real cluster (tools/kube-cluster) share: a free loopback
 * port for its webhook server, a bounded wait for the cluster's controllers, and a kubeconfig that
 * authenticates as one of its service accounts (to run istiod under exactly the chart's RBAC).
 */

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits (at most 90 s: controllers, kwok and istiod share two busy cores) for `check`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A kubeconfig file in `dir` that authenticates as service account `namespace/account` (a 1 h token). */
export async function serviceAccountKubeconfig(
  cluster: KubeCluster,
  dir: string,
  account: string,
  namespace = 'istio-system',
): Promise<string> {
  const token = (
    await cluster.runKubectl(['create', 'token', account, '-n', namespace, '--duration', '1h'])
  ).trim();
  const admin = parse(readFileSync(cluster.kubeconfig, 'utf8')) as {
    users: { user: Record<string, unknown> }[];
  };
  admin.users[0]!.user = { token };
  const file = join(dir, `${namespace}-${account}.kubeconfig`);
  writeFileSync(file, stringify(admin));
  return file;
}
