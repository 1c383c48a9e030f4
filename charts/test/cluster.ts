import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CHARTS } from './helm.js';

const ROOT = join(CHARTS, '..');
/** The CLI behind `npm run cluster` (built before this project's tests: package.json implicitDependencies). */
const CLUSTER_CLI = join(ROOT, 'tools', 'kube-cluster', 'dist', 'main.js');

/** How a finished command exited and what it printed. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; never rejects on a non-zero exit (the tests assert on it). */
export function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** Fails with the command's output when it did not exit 0; returns its stdout. */
export function ok(result: Finished, what: string): string {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/**
 * A cluster from tools/kube-cluster, driven as its README tells a user to (`npm run cluster -- up --dir
 * DIR`, which builds the Kubernetes binaries when the cache lacks them), then the kubectl and helm that
 * `env --dir DIR` names.
 */
export class ChartTestCluster {
  private constructor(
    readonly dir: string,
    readonly env: { KUBECONFIG: string; KUBECTL: string; HELM: string },
  ) {}

  static async up(): Promise<ChartTestCluster> {
    if (!existsSync(CLUSTER_CLI)) {
      throw new Error(`${CLUSTER_CLI} is not built: run "npm run cluster -- build" (or npm run build) first`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'charts-cluster-'));
    ok(await run(process.execPath, [CLUSTER_CLI, 'up', '--dir', dir]), 'kube-cluster up');
    const lines = ok(await run(process.execPath, [CLUSTER_CLI, 'env', '--dir', dir]), 'kube-cluster env');
    const env: Record<string, string> = {};
    for (const match of lines.matchAll(/^export (\w+)='([^']*)'$/gm)) env[match[1]!] = match[2]!;
    return new ChartTestCluster(dir, env as ChartTestCluster['env']);
  }

  kubectl(args: string[], input?: string): Promise<Finished> {
    return run(this.env.KUBECTL, args, this.env, input);
  }

  helm(args: string[]): Promise<Finished> {
    return run(this.env.HELM, args, this.env);
  }

  async down(): Promise<void> {
    await run(process.execPath, [
      join(ROOT, 'tools', 'kube-cluster', 'dist', 'main.js'),
      'down',
      '--dir',
      this.dir,
    ]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
