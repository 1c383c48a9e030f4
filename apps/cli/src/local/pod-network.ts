import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

  /** `index` names the pod within its mesh; `subnet` (1-254) is its 10.201.<subnet>.0/30. */
  constructor(tag: string, index: number, subnet: number) {
    this.namespace = `mesh-${tag}-${index}`;
    this.podIp = `10.201.${subnet}.2`;
    this.hostIp = `10.201.${subnet}.1`;
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

/**
 * The offset after which `count` pod subnets (10.201.<offset+1..offset+count>) are not on any host
 * interface yet, so a second transparent mesh does not take the first one's addresses.
 */
export function freePodSubnets(count: number): number {
  const out =
    spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const used = new Set([...out.matchAll(/inet 10\.201\.(\d+)\./g)].map((m) => Number(m[1])));
  for (let offset = 0; offset + count <= 254; offset++) {
    const range = Array.from({ length: count }, (_, i) => offset + i + 1);
    if (range.every((n) => !used.has(n))) return offset;
  }
  throw new Error('no free 10.201.<n>.0/30 pod subnets left');
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

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const IP_FORWARD_MARKER = join(tmpdir(), 'meshctl-ip-forward.orig');

/**
 * Turns on IPv4 forwarding (pods talk through the host); returns how to put it back. The value from
 * before the first transparent mesh is kept in a marker file, so with several meshes the last one down
 * restores it, not whatever the previous mesh had set.
 */
export function enableForwarding(): () => void {
  if (!existsSync(IP_FORWARD_MARKER))
    writeFileSync(IP_FORWARD_MARKER, readFileSync(IP_FORWARD, 'utf8').trim());
  writeFileSync(IP_FORWARD, '1');
  return restoreForwarding;
}

/** Puts IPv4 forwarding back as it was before the first transparent mesh, once no mesh has pods. */
export function restoreForwarding(): void {
  const podsLeft = /inet 10\.201\./.test(
    spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '',
  );
  if (podsLeft || !existsSync(IP_FORWARD_MARKER)) return;
  writeFileSync(IP_FORWARD, readFileSync(IP_FORWARD_MARKER, 'utf8').trim());
  rmSync(IP_FORWARD_MARKER, { force: true });
}

/**
 * Removes the pods a state directory's transparent mesh left (its supervisor was killed before it
 * could): their network namespaces, with the iptables rules inside them, the host ends of their veth
 * pairs, their hosts files, then forwarding as it was. Their processes must be stopped first. Returns
 * the namespaces removed.
 */
export function removePodsOf(stateDir: string): string[] {
  const tag = meshTag(stateDir);
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const pods = [...listed.matchAll(new RegExp(`^mesh-${tag}-(\\d+)\\b`, 'gm'))].map(
    // The subnet does not matter to destroy(): it removes by names.
    (match) => new PodNetwork(tag, Number(match[1]), 0),
  );
  for (const pod of pods) pod.destroy();
  if (pods.length > 0) restoreForwarding();
  return pods.map((pod) => pod.namespace);
}
