import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Pods for transparent-mode tests: each a network namespace joined to the host by a veth pair
 * (`10.200.<n>.2` inside, `10.200.<n>.1` on the host, which routes between pods), with its own
 * `/etc/hosts` (what `ip netns exec` mounts from `/etc/netns/<ns>/hosts`), as a Kubernetes pod
 * has its own network and DNS. Needs root.
 */

function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (result.error || result.status !== 0)
    throw new Error(`${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr.trim()}`);
  return result.stdout;
}

export class PodNetwork {
  readonly namespace: string;
  readonly podIp: string;
  readonly hostIp: string;
  readonly #hostLink: string;
  readonly #children: ChildProcess[] = [];

  constructor(
    readonly index: number,
    tag: string,
    hosts: string,
  ) {
    this.namespace = `mesh-${tag}-${index}`;
    this.podIp = `10.200.${index}.2`;
    this.hostIp = `10.200.${index}.1`;
    this.#hostLink = `mh${tag}${index}`.slice(0, 15);
    run('ip', ['netns', 'add', this.namespace]);
    run('ip', ['-n', this.namespace, 'link', 'set', 'lo', 'up']);
    run('ip', [
      'link',
      'add',
      this.#hostLink,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      this.namespace,
    ]);
    run('ip', ['addr', 'add', `${this.hostIp}/30`, 'dev', this.#hostLink]);
    run('ip', ['link', 'set', this.#hostLink, 'up']);
    run('ip', ['-n', this.namespace, 'addr', 'add', `${this.podIp}/30`, 'dev', 'eth0']);
    run('ip', ['-n', this.namespace, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', this.namespace, 'route', 'add', 'default', 'via', this.hostIp]);
    mkdirSync(`/etc/netns/${this.namespace}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.namespace}/hosts`, `127.0.0.1 localhost\n${hosts}`);
  }

  /**
   * Runs a command inside the pod (optionally as another user: entering the namespace needs root, so
   * the user is switched inside it with `setpriv`), kept until `destroy()`.
   */
  spawn(command: string, args: readonly string[], user?: { uid: number; gid: number }): ChildProcess {
    const asUser = user
      ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--']
      : [];
    const child = spawn('ip', ['netns', 'exec', this.namespace, ...asUser, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.push(child);
    return child;
  }

  /** Runs a command inside the pod to completion. */
  exec(
    command: string,
    args: readonly string[],
    timeoutMs = 10_000,
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.namespace, command, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  async destroy(): Promise<void> {
    for (const child of this.#children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(
      this.#children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
    );
    spawnSync('ip', ['netns', 'del', this.namespace]);
    spawnSync('ip', ['link', 'del', this.#hostLink]);
    rmSync(`/etc/netns/${this.namespace}`, { recursive: true, force: true });
  }
}

/** Turns on IPv4 forwarding on the host (pods talk through it); returns how to put it back. */
export function enableForwarding(): () => void {
  const path = '/proc/sys/net/ipv4/ip_forward';
  const before = readFileSync(path, 'utf8').trim();
  writeFileSync(path, '1');
  return () => writeFileSync(path, before);
}
