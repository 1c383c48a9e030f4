import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** What a finished command printed and how it exited. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (never rejects on a non-zero exit: the tests assert on it). */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: [stdin, 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A program that exits without reading its input must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** The built CLI (`npm run cluster` runs the same file), run with this test's Node. */
const CLI = join(import.meta.dirname, '..', 'dist', 'main.js');

export function clusterCli(args: readonly string[]): Promise<Finished> {
  return run(process.execPath, [CLI, ...args]);
}

/** Fails with the command's output when it did not exit 0. */
export function succeeded(result: Finished, what: string): Finished {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result;
}

// The cluster helpers the tests of other projects use too (the package's exported API).
export { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS } from '../src/kube-cluster.js';
