import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubernetesVersion } from '../src/build/go-components.js';
import { CLUSTER_HOOK_TIMEOUT_MS, clusterCli, run, succeeded } from './run.js';

/** Every live process whose command line names the directory: what `down` must leave none of. */
function processesUsing(dir: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return cmdline.includes(dir) ? [`${pid} ${cmdline}`] : [];
      } catch {
        return []; // exited meanwhile
      }
    });
}

/** `env`'s lines, sourced the way a shell would: KUBECONFIG, KUBECTL, HELM. */
async function clusterEnv(dir: string): Promise<Record<string, string>> {
  const { stdout } = succeeded(await clusterCli(['env', '--dir', dir]), 'cluster env');
  const sourced = await run('sh', ['-c', `${stdout}\nprintf '%s\\n' "$KUBECONFIG" "$KUBECTL" "$HELM"`]);
  const [KUBECONFIG, KUBECTL, HELM] = sourced.stdout.trimEnd().split('\n') as [string, string, string];
  return { KUBECONFIG, KUBECTL, HELM };
}

function holdPort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve(server));
  });
}

/** `npm run cluster -- up|env|down`: the commands a user runs by hand, through the built CLI. */
describe('npm run cluster', () => {
  const root = mkdtempSync(join(tmpdir(), 'kube-cluster-cli-'));
  const first = join(root, 'first');
  const second = join(root, 'second');

  beforeAll(async () => {
    succeeded(await clusterCli(['up', '--dir', first]), 'cluster up');
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    for (const dir of [first, second]) await clusterCli(['down', '--dir', dir]);
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('brings up a cluster whose kwok node is Ready, with the built kubectl and helm', async () => {
    const env = await clusterEnv(first);
    expect(env.KUBECONFIG).toBe(join(first, 'kubeconfig'));
    const nodes = succeeded(
      await run(env.KUBECTL!, ['get', 'nodes', '-o', 'json'], { env: { KUBECONFIG: env.KUBECONFIG } }),
      'kubectl get nodes',
    );
    const [node] = (
      JSON.parse(nodes.stdout) as { items: { status: { conditions: { type: string; status: string }[] } }[] }
    ).items;
    expect(node?.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    const version = succeeded(
      await run(env.KUBECTL!, ['version', '-o', 'json'], { env: { KUBECONFIG: env.KUBECONFIG } }),
      'kubectl version',
    );
    expect(
      (JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion,
    ).toBe(kubernetesVersion());
    const helm = succeeded(await run(env.HELM!, ['version', '--short']), 'helm version');
    expect(helm.stdout).toMatch(/^v3\./);
  });

  it('refuses a directory that already runs a cluster', async () => {
    const again = await clusterCli(['up', '--dir', first]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${first} already runs a cluster`);
    expect(again.stderr).toContain(`npm run cluster -- down --dir ${first}`);
  });

  it('refuses a port already in use, naming it, and starts nothing', async () => {
    const held = await holdPort();
    const port = (held.address() as { port: number }).port;
    try {
      const result = await clusterCli(['up', '--dir', second, '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 (the API server port) is already in use`);
      expect(processesUsing(second)).toEqual([]);
    } finally {
      held.close();
    }
  });

  it('runs a second cluster in another directory beside the first', async () => {
    succeeded(await clusterCli(['up', '--dir', second]), 'second cluster up');
    const servers = [];
    for (const dir of [first, second]) {
      const env = await clusterEnv(dir);
      const result = await run(env.KUBECTL!, ['get', 'nodes', '-o', 'name'], {
        env: { KUBECONFIG: env.KUBECONFIG },
      });
      expect(succeeded(result, `kubectl get nodes in ${dir}`).stdout.trim()).toBe('node/kwok-node-0');
      servers.push(JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')).server as string);
    }
    expect(new Set(servers).size).toBe(2);
  });

  it('down stops every process its cluster runs, and only those', async () => {
    const state = JSON.parse(readFileSync(join(second, 'cluster.json'), 'utf8')) as {
      components: { pid: number }[];
    };
    expect(state.components.length).toBe(5);
    expect(processesUsing(second).length).toBeGreaterThanOrEqual(5);
    succeeded(await clusterCli(['down', '--dir', second]), 'cluster down');
    expect(processesUsing(second)).toEqual([]);
    // The first cluster is untouched.
    expect(processesUsing(first).length).toBeGreaterThanOrEqual(5);
    const env = await clusterEnv(first);
    succeeded(
      await run(env.KUBECTL!, ['get', 'nodes'], { env: { KUBECONFIG: env.KUBECONFIG } }),
      'first still up',
    );
  });
});
