import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Transparent mode's pods: each workload instance in its own network namespace, joined to the host by
 * a veth pair (`10.201.<n>.2` in the pod, `10.201.<n>.1` on the host, which routes between pods and
 * reaches istiod), with its own `/etc/hosts` (mounted by `ip netns exec` from `/etc/netns/<ns>/hosts`)
 * naming the services' cluster IPs, as cluster DNS would. Needs root.
 */

function ip(args: readonly string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (result.error || result.status !== 0)
    throw new Error(`ip ${args.join(' ')}: ${result.error?.message ?? result.stderr.trim()}`);
}

/** A short tag of the state directory, so two meshes on one machine use different names. */
export function meshTag(stateDir: string): string {
  return createHash('sha1').update(stateDir).digest('hex').slice(0, 4);
}

export class PodNetwork {
  readonly namespace: string;
  readonly podIp: string;
  readonly hostIp: string;
  readonly hostLink: string;

  constructor(tag: string, index: number) {
    this.namespace = `mesh-${tag}-${index}`;
    this.podIp = `10.201.${index}.2`;
    this.hostIp = `10.201.${index}.1`;
    this.hostLink = `mh${tag}${index}`.slice(0, 15);
  }

  create(hosts: string): void {
    this.destroy(); // leftovers of a mesh that was killed
    ip(['netns', 'add', this.namespace]);
    ip(['-n', this.namespace, 'link', 'set', 'lo', 'up']);
    ip(['link', 'add', this.hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.namespace]);
    ip(['addr', 'add', `${this.hostIp}/30`, 'dev', this.hostLink]);
    ip(['link', 'set', this.hostLink, 'up']);
    ip(['-n', this.namespace, 'addr', 'add', `${this.podIp}/30`, 'dev', 'eth0']);
    ip(['-n', this.namespace, 'link', 'set', 'eth0', 'up']);
    ip(['-n', this.namespace, 'route', 'add', 'default', 'via', this.hostIp]);
    mkdirSync(`/etc/netns/${this.namespace}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.namespace}/hosts`, `127.0.0.1 localhost\n${hosts}`);
  }

  /** argv that runs `argv` in the pod, as `user` when given (entering a namespace needs root). */
  wrap(argv: readonly string[], user?: { uid: number; gid: number }): string[] {
    const asUser = user
      ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--']
      : [];
    return ['ip', 'netns', 'exec', this.namespace, ...asUser, ...argv];
  }

  destroy(): void {
    spawnSync('ip', ['netns', 'del', this.namespace]);
    spawnSync('ip', ['link', 'del', this.hostLink]);
    rmSync(`/etc/netns/${this.namespace}`, { recursive: true, force: true });
  }
}

/** The pods' hosts files: every service by its Kubernetes names (short names in its own namespace). */
export function hostsFile(
  services: readonly { name: string; namespace: string; clusterIP: string }[],
  namespace: string,
  domain = 'cluster.local',
): string {
  return services
    .map((s) => {
      const names = [
        `${s.name}.${s.namespace}.svc.${domain}`,
        `${s.name}.${s.namespace}.svc`,
        `${s.name}.${s.namespace}`,
      ];
      if (s.namespace === namespace) names.push(s.name);
      return `${s.clusterIP} ${names.join(' ')}`;
    })
    .join('\n')
    .concat('\n');
}

/** Turns on IPv4 forwarding (pods talk through the host); returns how to put it back. */
export function enableForwarding(): () => void {
  const path = '/proc/sys/net/ipv4/ip_forward';
  const before = readFileSync(path, 'utf8').trim();
  writeFileSync(path, '1');
  return () => writeFileSync(path, before);
}
